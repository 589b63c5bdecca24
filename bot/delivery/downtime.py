"""What happens to reminders that came due while no dispatcher was running (docs/reminders.md).

Applied once when a dispatcher starts, before it sends anything:

1. A heads-up overtaken by its own "you may now book" (or re-treatment) reminder — same
   procedure and date, the later one also due — is dropped: the later one says more.
2. A reminder before a planned procedure whose date has already come is dropped: it would
   announce something in the past.
3. Whatever is still more than `late_after` (7 days) late is replaced by one catch-up
   summary per patient, sent now; reminders less late go out as they are, once.

`triage` decides (pure); `apply_downtime_policy` reads the due rows page by page and
writes the decision, one unit of work per page.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.usecases.payloads import CatchUpNotice, encode, parse_key, reminder_key_of
from rules import ReminderKind
from storage.database import Database
from storage.records import NewMessage, OutboxKind, OutboxMessage

logger = logging.getLogger(__name__)

LATE_AFTER = timedelta(days=7)
OVERTAKEN = "overtaken by a later reminder"
PASSED = "its planned date has passed"
SUMMARISED = "replaced by a catch-up summary"
_PAGE_PATIENTS = 500
_OVERTAKING = (ReminderKind.MAY_BOOK, ReminderKind.RETREATMENT_DUE)


@dataclass(frozen=True)
class Summary:
    """One catch-up summary to add for a patient, replacing `replaced` (outbox ids)."""

    patient_id: int
    chat_id: int
    replaced: tuple[int, ...]
    message: NewMessage


@dataclass(frozen=True)
class Triage:
    """The decision for one set of due rows: what to drop (id -> reason), what to summarise."""

    drop: dict[int, str] = field(default_factory=dict)
    summaries: tuple[Summary, ...] = ()


@dataclass(frozen=True)
class DowntimeReport:
    """What the policy did, for the log and for tests."""

    dropped: int = 0
    summarised: int = 0
    summaries: int = 0


def triage(
    due: Sequence[OutboxMessage],
    now: datetime,
    *,
    today: Mapping[int, date],
    late_after: timedelta | None = LATE_AFTER,
) -> Triage:
    """Apply the policy to due pending reminders and notices; `today` is each patient's date.

    `late_after=None` applies only the "overtaken" rules (the dispatcher does, per batch).

    Broadcasts and catch-up summaries pass untouched. A patient missing from `today` (gone
    since) is left to the dispatcher, which drops rows of patients that no longer exist.
    """
    by_patient: dict[int, list[OutboxMessage]] = defaultdict(list)
    for message in due:
        if _is_reminderish(message):
            by_patient[message.patient_id].append(message)
    drop: dict[int, str] = {}
    summaries: list[Summary] = []
    for patient_id, messages in sorted(by_patient.items()):
        local_today = today.get(patient_id)
        if local_today is None:
            continue
        drop.update(_overtaken(messages, local_today))
        if late_after is None:
            continue
        late = [m for m in messages if m.id not in drop and m.due_at < now - late_after]
        if late:
            late.sort(key=lambda m: (m.due_at, m.id))
            for message in late:
                drop[message.id] = SUMMARISED
            summaries.append(_summary(patient_id, late, now))
    return Triage(drop=drop, summaries=tuple(summaries))


def _is_reminderish(message: OutboxMessage) -> bool:
    return reminder_key_of(message) is not None


def _overtaken(messages: Sequence[OutboxMessage], local_today: date) -> dict[int, str]:
    keys = {m.id: parse_key(m.dedupe_key) for m in messages if m.kind is OutboxKind.REMINDER}
    overtaking = {
        (key.procedure, key.on)
        for key in keys.values()
        if key is not None and key.kind in _OVERTAKING
    }
    dropped: dict[int, str] = {}
    for message_id, key in keys.items():
        if key is None:
            continue
        if key.kind is ReminderKind.HEADS_UP and (key.procedure, key.on) in overtaking:
            dropped[message_id] = OVERTAKEN
        elif key.kind is ReminderKind.BEFORE_PLANNED and key.on <= local_today:
            dropped[message_id] = PASSED
    return dropped


def _summary(patient_id: int, late: Sequence[OutboxMessage], now: datetime) -> Summary:
    keys = []
    for message in late:
        found = reminder_key_of(message)
        key = parse_key(found) if found is not None else None
        if key is not None:
            keys.append(key)
    first = late[0]
    return Summary(
        patient_id=patient_id,
        chat_id=first.chat_id,
        replaced=tuple(m.id for m in late),
        message=NewMessage(
            kind=OutboxKind.NOTICE,
            patient_id=patient_id,
            chat_id=first.chat_id,
            due_at=now,
            # Derived from what it replaces, so two processes starting together add it once.
            dedupe_key=f"catch_up:{min(m.id for m in late)}",
            payload=encode(CatchUpNotice(tuple(keys))),
        ),
    )


async def apply_downtime_policy(
    database: Database, now: datetime, *, late_after: timedelta = LATE_AFTER
) -> DowntimeReport:
    """Drop overtaken reminders and summarise very late ones, for every patient."""
    dropped = summarised = summaries = 0
    after = 0
    kinds = (OutboxKind.REMINDER, OutboxKind.NOTICE)
    while True:
        async with database.unit_of_work() as uow:
            due = await uow.outbox.due_pending(
                now=now, kinds=kinds, after_patient_id=after, max_patients=_PAGE_PATIENTS
            )
            if not due:
                break
            patients = await uow.recipients.for_patients({m.patient_id for m in due})
            today = {
                pid: now.astimezone(ZoneInfo(r.patient.timezone)).date()
                for pid, r in patients.items()
            }
            decision = triage(due, now, today=today, late_after=late_after)
            by_reason: dict[str, list[int]] = defaultdict(list)
            for message_id, reason in decision.drop.items():
                by_reason[reason].append(message_id)
            for reason, ids in sorted(by_reason.items()):
                count = await uow.outbox.drop(ids, reason=reason)
                if reason == SUMMARISED:
                    summarised += count
                else:
                    dropped += count
            if decision.summaries:
                added = await uow.outbox.add_many(
                    [summary.message for summary in decision.summaries], now=now
                )
                summaries += len(added.added) + len(added.revived)
            await uow.commit()
        after = max(m.patient_id for m in due)
    report = DowntimeReport(dropped=dropped, summarised=summarised, summaries=summaries)
    if report != DowntimeReport():
        logger.info(
            "downtime policy: %d dropped, %d replaced by %d catch-up summaries",
            report.dropped,
            report.summarised,
            report.summaries,
        )
    return report
