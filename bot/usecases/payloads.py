"""Outbox payloads as typed records, and the one codec between them and the stored JSON.

A payload keeps facts (structured reasons, dates, the staff's text), never rendered prose,
so a message is written at send time in the patient's language of that moment. Five kinds:

- `ReminderContent`: a planned reminder (outbox kind `reminder`);
- `SnoozeNotice`: a reminder the patient asked again, "Remind me in 3 days" (`notice`);
- `CatchUpNotice`: the summary that replaces reminders that came due long ago (`notice`);
- `BroadcastMessage`: a clinic's broadcast to one member (`broadcast`);
- `QuestionAnswer`: the clinic's answer to the patient's question (`notice`).

`encode` writes the JSON shapes rows have always had, so rows stored by an older version
read back unchanged; `decode` checks every field and raises `PayloadError` for anything
else, which fails that one row with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from rules import (
    ClinicRule,
    Direction,
    Entry,
    PlannedReminder,
    Procedure,
    Reason,
    ReminderKind,
    Rule,
)
from storage.records import OutboxKind, OutboxMessage

BROADCAST_FORMAT = 1


class PayloadError(ValueError):
    """A stored payload is not one of ours (unknown shape, missing or mistyped field)."""


@dataclass(frozen=True)
class ReminderContent:
    """What a reminder message says."""

    kind: ReminderKind
    procedure: Procedure
    local_date: date
    guidance_version: int
    reasons: tuple[Reason, ...]
    # Rules the patient's clinic set differently from the usual guidance (older rows: none).
    clinic_rules: tuple[ClinicRule, ...] = ()
    # `rules.history_digest` of the history it was planned from: at send time a different
    # one means "check it again" (older rows: None, sent as stored).
    history: str | None = None


@dataclass(frozen=True)
class SnoozeNotice:
    """A reminder asked again: the original reminder's key and content."""

    key: str
    reminder: ReminderContent


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


@dataclass(frozen=True)
class CatchUpNotice:
    """The reminders a long downtime overtook, named by their keys, oldest first."""

    keys: tuple[ReminderKey, ...]


@dataclass(frozen=True)
class BroadcastMessage:
    """A clinic's broadcast: the staff's HTML body, the clinic, the author's language."""

    body: str
    clinic_id: int
    clinic: str
    language: str


@dataclass(frozen=True)
class QuestionAnswer:
    """A clinic's answer to a patient's question: both texts as written, and the clinic."""

    question_id: int
    clinic_id: int
    clinic: str
    question: str
    answer: str


Payload = ReminderContent | SnoozeNotice | CatchUpNotice | BroadcastMessage | QuestionAnswer

# The kinds that announce a date on which a procedure becomes possible: one "chain" per
# (procedure, date), which "Not for me" stops as a whole. `before_planned` is about a
# planned entry instead and stands alone.
CHAIN_KINDS = frozenset(
    {ReminderKind.HEADS_UP, ReminderKind.MAY_BOOK, ReminderKind.RETREATMENT_DUE}
)


# --- encoding ------------------------------------------------------------------------------------


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
        # Older rows lack it and read as "not planned"; the send-time re-check rewrites them.
        "entry_planned": reason.entry_planned,
    }


def _clinic_rule_to_json(rule: ClinicRule) -> dict[str, Any]:
    return {
        "after": rule.after.value,
        "then": rule.then.value,
        "min_days": rule.min_days,
        "default_days": rule.default_days,
    }


def _reminder_to_json(content: ReminderContent) -> dict[str, Any]:
    data = {
        "kind": content.kind.value,
        "procedure": content.procedure.value,
        "local_date": content.local_date.isoformat(),
        "guidance_version": content.guidance_version,
        "reasons": [_reason_to_json(reason) for reason in content.reasons],
    }
    if content.clinic_rules:
        data["clinic_rules"] = [_clinic_rule_to_json(rule) for rule in content.clinic_rules]
    if content.history is not None:
        data["history"] = content.history
    return data


def format_key(key: ReminderKey) -> str:
    """`kind:procedure:YYYYMMDD`."""
    return f"{key.kind.value}:{key.procedure.value}:{key.on.strftime('%Y%m%d')}"


def encode(payload: Payload) -> dict[str, Any]:
    """The JSON document stored in the outbox row."""
    match payload:
        case ReminderContent():
            return _reminder_to_json(payload)
        case SnoozeNotice(key=key, reminder=reminder):
            return {"type": "snooze", "key": key, "reminder": _reminder_to_json(reminder)}
        case CatchUpNotice(keys=keys):
            return {"type": "catch_up", "items": [{"key": format_key(key)} for key in keys]}
        case BroadcastMessage():
            return {
                "format": BROADCAST_FORMAT,
                "body": payload.body,
                "clinic_id": payload.clinic_id,
                "clinic": payload.clinic,
                "language": payload.language,
            }
        case QuestionAnswer():
            return {
                "type": "answer",
                "question_id": payload.question_id,
                "clinic_id": payload.clinic_id,
                "clinic": payload.clinic,
                "question": payload.question,
                "answer": payload.answer,
            }


def content_of(planned: PlannedReminder, history: str | None = None) -> ReminderContent:
    """What a planned reminder will say; `history` is the digest of what it was planned from."""
    return ReminderContent(
        kind=planned.kind,
        procedure=planned.procedure,
        local_date=planned.local_date,
        guidance_version=planned.guidance_version,
        reasons=tuple(planned.reasons),
        clinic_rules=planned.clinic_rules,
        history=history,
    )


def reminder_payload(planned: PlannedReminder, history: str | None = None) -> dict[str, Any]:
    """The stored payload of a planned reminder (see `content_of`)."""
    return encode(content_of(planned, history))


# --- decoding ------------------------------------------------------------------------------------


def _reason_from_json(data: Mapping[str, Any]) -> Reason:
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
        entry_planned=_flag(data.get("entry_planned", False)),
    )


def _text_or_none(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError("expected text or null")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("a flag must be true or false")
    return value


def _days_or_none(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("days must be a whole number or null")
    return value


def _clinic_rule_from_json(data: Mapping[str, Any]) -> ClinicRule:
    return ClinicRule(
        after=Procedure(data["after"]),
        then=Procedure(data["then"]),
        min_days=_days_or_none(data["min_days"]),
        default_days=_days_or_none(data["default_days"]),
    )


def _reminder_from_json(data: object) -> ReminderContent:
    if not isinstance(data, Mapping):
        raise PayloadError("reminder payload is not an object")
    try:
        return ReminderContent(
            kind=ReminderKind(data["kind"]),
            procedure=Procedure(data["procedure"]),
            local_date=date.fromisoformat(data["local_date"]),
            guidance_version=int(data["guidance_version"]),
            reasons=tuple(_reason_from_json(reason) for reason in data["reasons"]),
            clinic_rules=tuple(
                _clinic_rule_from_json(rule) for rule in data.get("clinic_rules", ())
            ),
            history=_text_or_none(data.get("history")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PayloadError(f"unreadable reminder payload ({type(exc).__name__})") from None


def parse_key(key: str) -> ReminderKey | None:
    """Read a reminder key; None for anything else (digest keys, notices, broadcasts)."""
    parts = key.split(":")
    if len(parts) != 3 or len(parts[2]) != 8 or not parts[2].isascii() or not parts[2].isdigit():
        return None
    try:
        kind, procedure = ReminderKind(parts[0]), Procedure(parts[1])
        on = date(int(parts[2][:4]), int(parts[2][4:6]), int(parts[2][6:]))
    except ValueError:
        return None
    return ReminderKey(kind=kind, procedure=procedure, on=on)


def _answer_from_json(data: Mapping[str, Any]) -> QuestionAnswer:
    question_id, clinic_id = data.get("question_id"), data.get("clinic_id")
    texts = [data.get(name) for name in ("clinic", "question", "answer")]
    if not isinstance(question_id, int) or not isinstance(clinic_id, int):
        raise PayloadError("answer payload without its question or clinic")
    clinic, question, answer = texts
    if not isinstance(clinic, str) or not isinstance(question, str) or not isinstance(answer, str):
        raise PayloadError("answer payload without its texts")
    return QuestionAnswer(question_id, clinic_id, clinic, question, answer)


def _notice_from_json(data: Mapping[str, Any]) -> SnoozeNotice | CatchUpNotice | QuestionAnswer:
    kind = data.get("type")
    if kind == "answer":
        return _answer_from_json(data)
    if kind == "snooze":
        key = data.get("key")
        if not isinstance(key, str):
            raise PayloadError("snooze without the reminder's key")
        return SnoozeNotice(key=key, reminder=_reminder_from_json(data.get("reminder")))
    if kind == "catch_up":
        items = data.get("items")
        if not isinstance(items, list) or not items:
            raise PayloadError("catch-up summary without items")
        keys = []
        for item in items:
            parsed = parse_key(str(item.get("key", ""))) if isinstance(item, Mapping) else None
            if parsed is None:
                raise PayloadError("catch-up item without a reminder key")
            keys.append(parsed)
        return CatchUpNotice(keys=tuple(keys))
    raise PayloadError("unknown notice type")


def _broadcast_from_json(data: Mapping[str, Any]) -> BroadcastMessage:
    body, clinic_id, clinic = data.get("body"), data.get("clinic_id"), data.get("clinic")
    if data.get("format") != BROADCAST_FORMAT or not isinstance(body, str):
        raise PayloadError("not a broadcast payload")
    if not isinstance(clinic_id, int) or not isinstance(clinic, str):
        raise PayloadError("broadcast payload without its clinic")
    return BroadcastMessage(body, clinic_id, clinic, str(data.get("language", "en")))


def decode(kind: OutboxKind, data: Mapping[str, Any]) -> Payload:
    """The typed payload of a row of `kind`; PayloadError for anything else."""
    if kind is OutboxKind.REMINDER:
        return _reminder_from_json(data)
    if kind is OutboxKind.NOTICE:
        return _notice_from_json(data)
    if kind is OutboxKind.BROADCAST:
        return _broadcast_from_json(data)
    raise PayloadError(f"no payload codec for {kind.value} rows")


def decode_message(message: OutboxMessage) -> Payload:
    """The typed payload of an outbox row."""
    return decode(message.kind, message.payload)


def reminder_key_of(message: OutboxMessage) -> str | None:
    """The key of the reminder a row is about: its own, or the one a snooze repeats."""
    if message.kind is OutboxKind.REMINDER:
        return message.dedupe_key
    found = reminder_of(message) if message.kind is OutboxKind.NOTICE else None
    return found[0] if found is not None else None


def reminder_of(message: OutboxMessage) -> tuple[str, ReminderContent] | None:
    """(reminder key, content) of a reminder row or a reminder asked again; else None."""
    try:
        payload = decode_message(message)
    except PayloadError:
        return None
    if isinstance(payload, ReminderContent):
        return message.dedupe_key, payload
    if isinstance(payload, SnoozeNotice):
        return payload.key, payload.reminder
    return None
