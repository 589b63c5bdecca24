"""At send time: does a reminder still hold for the history as it is now, and what does it say?

A reminder is planned from the history of one moment, and goes out later: the patient may
change or delete an entry seconds before it is due, or after the dispatcher claimed it (a
re-plan leaves rows already due to the dispatcher). So just before a batch is sent, every
reminder in it (and every reminder asked again) whose history digest differs from the
patient's history now is checked again with `rules.reminder_now`: it is sent with the words
of now, or skipped when it no longer holds. A row whose history is unchanged, or that
carries no digest (older rows), is sent as stored without any rules work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from bot.usecases.payloads import (
    Payload,
    PayloadError,
    ReminderContent,
    SnoozeNotice,
    decode_message,
    parse_key,
)
from bot.usecases.planning import clinic_guidance
from rules import GuidanceSet, history_digest, reminder_now
from storage.database import Database
from storage.recipients import Recipient
from storage.records import SKIPPED, OutboxKind, OutboxMessage

# What the outbox row keeps as the reason (`last_error`): no procedure, no date.
NO_LONGER_HOLDS = f"{SKIPPED}the history changed and the reminder no longer holds"


@dataclass(frozen=True, slots=True)
class NoLongerHolds:
    """The reminder is not to be sent: the history it rested on has changed."""

    reason: str = NO_LONGER_HOLDS


def _reminder(message: OutboxMessage) -> tuple[Payload, str, ReminderContent] | None:
    """(payload, reminder key, content) of a reminder row or a reminder asked again."""
    if message.kind not in (OutboxKind.REMINDER, OutboxKind.NOTICE):
        return None
    try:
        payload = decode_message(message)
    except PayloadError:
        return None  # the renderer fails it with the reason
    if isinstance(payload, ReminderContent):
        return payload, message.dedupe_key, payload
    if isinstance(payload, SnoozeNotice):
        return payload, payload.key, payload.reminder
    return None


def _clinic_id(recipient: Recipient) -> int | None:
    return None if recipient.clinic is None else recipient.clinic.id


async def recheck(
    database: Database, messages: Sequence[OutboxMessage], recipients: Mapping[int, Recipient]
) -> dict[int, Payload | NoLongerHolds]:
    """Outbox id -> the payload to send now, or NoLongerHolds, for the reminders among
    `messages` planned from a history that has changed since; the others are left out."""
    candidates = {
        message.id: (message, reminder)
        for message in messages
        if (reminder := _reminder(message)) is not None
        and reminder[2].history is not None
        and message.patient_id in recipients
    }
    if not candidates:
        return {}
    patient_ids = {message.patient_id for message, _found in candidates.values()}
    clinics = {pid: _clinic_id(recipients[pid]) for pid in patient_ids}
    async with database.unit_of_work(read_only=True) as uow:
        histories = await uow.treatments.histories(patient_ids)
        digests = {pid: history_digest(histories.get(pid, [])) for pid in patient_ids}
        changed = {
            mid
            for mid, (message, (_p, _k, content)) in candidates.items()
            if content.history != digests[message.patient_id]
        }
        guidance: dict[int | None, GuidanceSet] = {}
        for mid in changed:
            clinic_id = clinics[candidates[mid][0].patient_id]
            if clinic_id not in guidance:
                guidance[clinic_id] = await clinic_guidance(uow, clinic_id)
    found: dict[int, Payload | NoLongerHolds] = {}
    for mid in sorted(changed):
        message, (payload, key, content) = candidates[mid]
        parsed = parse_key(key)
        if parsed is None:
            continue  # a digest key: nothing to check it against
        history = histories.get(message.patient_id, [])
        now = reminder_now(
            content.kind,
            content.procedure,
            parsed.on,
            content.local_date,
            history,
            guidance[clinics[message.patient_id]],
        )
        if now is None:
            found[mid] = NoLongerHolds()
            continue
        fresh = replace(
            content,
            reasons=now.reasons,
            clinic_rules=now.clinic_rules,
            guidance_version=now.guidance_version,
            history=digests[message.patient_id],
        )
        found[mid] = (
            replace(payload, reminder=fresh) if isinstance(payload, SnoozeNotice) else fresh
        )
    return found
