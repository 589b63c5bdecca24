"""Shared steps for delivery tests: patients, treatments, moving the clock, draining."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import FakeClock
from bot.context import BotApp
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rate_limit import SendRateLimiter
from bot.delivery.rendering import Renderer
from bot.delivery.sender import RetryPolicy
from bot.delivery.transport import AiohttpRequest, OutboxBot
from bot.render.outbox import outbox_renderers
from bot.usecases import patients, treatments
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from storage.models import OutboxRow
from storage.outbox import to_message
from storage.records import OutboxKind, OutboxMessage, OutboxState, Patient


async def new_patient(
    database: Database,
    sandbox: Sandbox,
    user_id: int = 1001,
    *,
    now: datetime,
    timezone: str = "Europe/Berlin",
    language: str = "en",
) -> Patient:
    """A consenting patient (and their sandbox user) without going through /start."""
    sandbox.user(user_id, first_name=f"P{user_id}", language_code=language)
    return await patients.consent(
        database,
        telegram_user_id=user_id,
        chat_id=user_id,
        language=language,
        timezone=timezone,
        now=now,
    )


async def log(
    database: Database, patient: Patient, procedure: Procedure, on: date, now: datetime
) -> None:
    """Log a treatment through the use-case /log calls."""
    await treatments.log_treatment(database, patient, procedure, on, now)


async def rows(database: Database, patient_id: int | None = None) -> list[OutboxMessage]:
    """Every outbox row (of one patient), soonest due first."""
    statement = select(OutboxRow).order_by(OutboxRow.due_at, OutboxRow.id)
    if patient_id is not None:
        statement = statement.where(OutboxRow.patient_id == patient_id)
    async with database.unit_of_work(read_only=True) as uow:
        return [to_message(row) for row in await uow.session.scalars(statement)]


async def pending_keys(database: Database, patient: Patient) -> list[str]:
    """The patient's pending reminder keys, sorted."""
    async with database.unit_of_work(read_only=True) as uow:
        pending = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.REMINDER)
    return sorted(m.dedupe_key for m in pending)


def sent_states(messages: list[OutboxMessage]) -> dict[str, OutboxState]:
    """Key -> state."""
    return {m.dedupe_key: m.state for m in messages}


def dispatcher_of(application: BotApp) -> Dispatcher:
    """The application's dispatcher."""
    return application.bot_data.services.dispatcher


async def advance_to(clock: FakeClock, application: BotApp, instant: datetime) -> int:
    """Move the clock to `instant`, let the dispatcher send what is due; how many it sent.

    Counted from the dispatcher, not from this drain: the scheduler's tick may drain too.
    """
    dispatcher = dispatcher_of(application)
    before = dispatcher.sent_total
    clock.set(instant)
    await dispatcher.run_until_idle()
    return dispatcher.sent_total - before


@asynccontextmanager
async def standalone_dispatcher(
    database: Database,
    sandbox: Sandbox,
    clock: FakeClock,
    *,
    rate: float = 1000.0,
    batch_size: int = 100,
    retry: RetryPolicy | None = None,
    worker_id: str = "test-worker",
    read_timeout: float = 10.0,
    renderers: Mapping[OutboxKind, Renderer] | None = None,
) -> AsyncIterator[Dispatcher]:
    """A dispatcher with its own sending bot against the sandbox (no Application needed)."""
    request = AiohttpRequest(16, read_timeout=read_timeout)
    bot = OutboxBot(sandbox.token, base_url=sandbox.base_url, request=request)
    await bot.initialize()
    dispatcher = Dispatcher(
        database,
        bot,
        clock,
        SendRateLimiter(rate),
        worker_id=worker_id,
        batch_size=batch_size,
        retry=retry,
        renderers=outbox_renderers() if renderers is None else renderers,
    )
    try:
        yield dispatcher
    finally:
        await dispatcher.close()
        await bot.shutdown()


def local(day: date, hour: int, minute: int = 0, *, tz: str = "Europe/Berlin") -> datetime:
    """An aware instant at a wall time in `tz`."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))


ONE_SECOND = timedelta(seconds=1)
