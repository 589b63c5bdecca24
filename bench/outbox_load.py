"""Fast loading of patients with due reminders, for the dispatch benchmark and process tests.

Each patient gets one "you may now book microneedling" reminder with real reasons (the
payload `replan` would write), so rendering costs what it costs in production.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import insert, select

from bot.usecases.payloads import reminder_payload
from rules import Entry, Procedure, ReminderKind, default_guidance, plan_reminders
from storage.database import Database
from storage.models import MembershipRow, PatientRow
from storage.records import NewMessage, OutboxKind

USER_ID_BASE = 700_000_000
_CHUNK = 1000


def sample_payload() -> tuple[str, dict[str, Any]]:
    """The key and payload of a real may-book reminder (Botox on 23 Nov 2026)."""
    plan = plan_reminders(
        [Entry(Procedure.BOTOX, date(2026, 11, 23), "1")],
        default_guidance(),
        tz="Europe/Berlin",
        reminder_hour=9,
        heads_up_days=2,
        now=datetime(2026, 11, 24, 12, tzinfo=UTC),
    )
    may_book = next(p for p in plan if p.kind is ReminderKind.MAY_BOOK)
    return may_book.key, reminder_payload(may_book)


def user_ids(count: int, first: int = USER_ID_BASE) -> list[int]:
    """The Telegram user ids (= chat ids) `load_due_reminders` gives its patients."""
    return list(range(first, first + count))


async def load_due_reminders(
    database: Database,
    count: int,
    *,
    now: datetime,
    due_at: Callable[[int], datetime],
    first_user_id: int = USER_ID_BASE,
    languages: Sequence[str] = ("en", "es"),
) -> list[int]:
    """Insert `count` patients, each with one reminder due at `due_at(index)`; their ids."""
    key, payload = sample_payload()
    ids = user_ids(count, first_user_id)
    async with database.unit_of_work() as uow:
        for start in range(0, count, _CHUNK):
            chunk = ids[start : start + _CHUNK]
            await uow.session.execute(
                insert(PatientRow),
                [
                    {
                        "telegram_user_id": user_id,
                        "chat_id": user_id,
                        "language": languages[index % len(languages)],
                        "timezone": "Europe/Berlin",
                        "reminder_hour": 9,
                        "heads_up_days": 2,
                        "quiet_start": time(22),
                        "quiet_end": time(8),
                        "state": "active",
                        "consent_at": now,
                        "consent_version": "bench",
                        "broadcasts_opt_out": False,
                        "created_at": now,
                    }
                    for index, user_id in enumerate(chunk, start=start)
                ],
            )
        patient_of: dict[int, int] = {}
        for start in range(0, count, _CHUNK):
            rows = await uow.session.execute(
                select(PatientRow.telegram_user_id, PatientRow.id).where(
                    PatientRow.telegram_user_id.in_(ids[start : start + _CHUNK])
                )
            )
            patient_of.update(dict(rows.tuples().all()))
        messages = [
            NewMessage(
                kind=OutboxKind.REMINDER,
                patient_id=patient_of[user_id],
                chat_id=user_id,
                due_at=due_at(index),
                dedupe_key=key,
                payload=payload,
            )
            for index, user_id in enumerate(ids)
        ]
        for start in range(0, count, _CHUNK):
            await uow.outbox.add_many(messages[start : start + _CHUNK], now=now)
        await uow.commit()
    return ids


async def load_clinic_members(
    database: Database,
    chats: Sequence[int],
    now: datetime,
    *,
    clinic: str = "Clínica Aurora",
    staff_user: int = 900_000_001,
) -> tuple[int, int]:
    """A clinic with one staff member and `chats` as consenting active members.

    Returns the clinic's id and how many members it has (its patients come first in id).
    """
    async with database.unit_of_work() as uow:
        created = await uow.clinics.create(clinic, now=now, timezone="Europe/Madrid")
        await uow.clinics.add_staff(created.id, staff_user, now=now)
        for start in range(0, len(chats), _CHUNK):
            await uow.session.execute(
                insert(PatientRow),
                [
                    {
                        "telegram_user_id": chat,
                        "chat_id": chat,
                        "language": "en",
                        "timezone": "Europe/Madrid",
                        "reminder_hour": 9,
                        "heads_up_days": 2,
                        "quiet_start": None,
                        "quiet_end": None,
                        "state": "active",
                        "consent_at": now,
                        "consent_version": "bench",
                        "broadcasts_opt_out": False,
                        "created_at": now,
                    }
                    for chat in chats[start : start + _CHUNK]
                ],
            )
        ids: list[int] = []
        for start in range(0, len(chats), _CHUNK):
            chunk = list(chats[start : start + _CHUNK])
            ids += await uow.session.scalars(
                select(PatientRow.id).where(PatientRow.telegram_user_id.in_(chunk))
            )
        for start in range(0, len(ids), _CHUNK):
            await uow.session.execute(
                insert(MembershipRow),
                [
                    {"patient_id": pid, "clinic_id": created.id, "joined_at": now}
                    for pid in ids[start : start + _CHUNK]
                ],
            )
        await uow.commit()
    return created.id, len(ids)
