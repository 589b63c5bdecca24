"""A planned reminder as the JSON payload of its outbox row, and back; notices built on them.

The payload keeps the structured reasons, not rendered text, so the message is written at
send time in the patient's language of that moment. Notices (kind `notice`) are the
reminders the patient asked again ("Remind me in 3 days") and the catch-up summary that
replaces reminders that came due long ago; their payloads carry a `type`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from rules import Direction, Entry, PlannedReminder, Procedure, Reason, ReminderKind, Rule


@dataclass(frozen=True)
class ReminderContent:
    """What a reminder message says, read back from its payload."""

    kind: ReminderKind
    procedure: Procedure
    local_date: date
    guidance_version: int
    reasons: tuple[Reason, ...]


def _reason_to_json(reason: Reason) -> dict[str, Any]:
    return {
        "procedure": reason.procedure.value,
        "entry": {
            "procedure": reason.entry.procedure.value,
            "on": reason.entry.on.isoformat(),
            "ref": reason.entry.ref,
        },
        "rule": {
            "after": reason.rule.after.value,
            "then": reason.rule.then.value,
            "min_days": reason.rule.min_days,
            "source": reason.rule.source,
            "evidence": reason.rule.evidence,
        },
        "direction": reason.direction.value,
        "start": reason.start.isoformat(),
        "end": reason.end.isoformat(),
    }


def _reason_from_json(data: dict[str, Any]) -> Reason:
    entry, rule = data["entry"], data["rule"]
    return Reason(
        procedure=Procedure(data["procedure"]),
        entry=Entry(Procedure(entry["procedure"]), date.fromisoformat(entry["on"]), entry["ref"]),
        rule=Rule(
            after=Procedure(rule["after"]),
            then=Procedure(rule["then"]),
            min_days=int(rule["min_days"]),
            source=rule["source"],
            evidence=rule["evidence"],
        ),
        direction=Direction(data["direction"]),
        start=date.fromisoformat(data["start"]),
        end=date.fromisoformat(data["end"]),
    )


def reminder_payload(planned: PlannedReminder) -> dict[str, Any]:
    """The outbox payload of a planned reminder."""
    return {
        "kind": planned.kind.value,
        "procedure": planned.procedure.value,
        "local_date": planned.local_date.isoformat(),
        "guidance_version": planned.guidance_version,
        "reasons": [_reason_to_json(reason) for reason in planned.reasons],
    }


def reminder_content(payload: dict[str, Any]) -> ReminderContent:
    """Read a reminder payload back into structured content."""
    return ReminderContent(
        kind=ReminderKind(payload["kind"]),
        procedure=Procedure(payload["procedure"]),
        local_date=date.fromisoformat(payload["local_date"]),
        guidance_version=int(payload["guidance_version"]),
        reasons=tuple(_reason_from_json(reason) for reason in payload["reasons"]),
    )


# The kinds that announce a date on which a procedure becomes possible: one "chain" per
# (procedure, date), which "Not for me" stops as a whole. `before_planned` is about a
# planned entry instead and stands alone.
CHAIN_KINDS = frozenset(
    {ReminderKind.HEADS_UP, ReminderKind.MAY_BOOK, ReminderKind.RETREATMENT_DUE}
)

NoticeType = Literal["snooze", "catch_up"]


@dataclass(frozen=True)
class ReminderKey:
    """A reminder's dedupe key read back: `kind:procedure:YYYYMMDD` (see `rules.reminders`)."""

    kind: ReminderKind
    procedure: Procedure
    on: date

    @property
    def chain(self) -> tuple[Procedure, date] | None:
        """(procedure, announced date) for the kinds that form a chain, else None."""
        return (self.procedure, self.on) if self.kind in CHAIN_KINDS else None


def parse_key(key: str) -> ReminderKey | None:
    """Read a reminder key; None for anything else (digest keys, notices, broadcasts)."""
    parts = key.split(":")
    if len(parts) != 3 or len(parts[2]) != 8 or not parts[2].isdigit():
        return None
    try:
        kind, procedure = ReminderKind(parts[0]), Procedure(parts[1])
        on = date(int(parts[2][:4]), int(parts[2][4:6]), int(parts[2][6:]))
    except ValueError:
        return None
    return ReminderKey(kind=kind, procedure=procedure, on=on)


def snooze_payload(key: str, reminder: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of a reminder asked again: the original key and reminder payload."""
    return {"type": "snooze", "key": key, "reminder": dict(reminder)}


def catch_up_payload(items: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The payload of a catch-up summary: (key, reminder payload) of each reminder it replaces.

    Reasons are left out: the summary names what came due, not why.
    """
    return {
        "type": "catch_up",
        "items": [
            {"key": key, **{k: v for k, v in reminder.items() if k != "reasons"}}
            for key, reminder in items
        ],
    }


def notice_type(payload: Mapping[str, Any]) -> NoticeType | None:
    """The type of a notice payload, or None if it is not one of ours."""
    kind = payload.get("type")
    if kind == "snooze":
        return "snooze"
    if kind == "catch_up":
        return "catch_up"
    return None
