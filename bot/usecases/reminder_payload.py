"""A planned reminder as the JSON payload of its outbox row, and back.

The payload keeps the structured reasons, not rendered text, so the message is written at
send time in the patient's language of that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

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
