"""The dispatcher on SQLite and PostgreSQL, against the sandbox: every answer Telegram gives."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.delivery.rendering import Rendered
from bot.delivery.sender import RetryPolicy
from sandbox import Sandbox
from storage.database import Database
from storage.recipients import Recipient
from storage.records import OutboxKind, OutboxMessage, OutboxState, PatientState
from tests.delivery.factories import patients_with_due_reminders, reminder_message
from tests.delivery.helpers import rows, standalone_dispatcher
from tests.eventually import eventually


def _per_chat(sandbox: Sandbox) -> Counter[int]:
    return Counter(record.chat_id for record in sandbox.sent if record.method == "sendMessage")


async def test_due_rows_are_sent_once_and_recorded_and_future_rows_wait(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    now = clock.now()
    due = await patients_with_due_reminders(database, sandbox, 5, now=now)
    later = await patients_with_due_reminders(
        database, sandbox, 2, now=now, due_at=now + timedelta(hours=1), first_user_id=600_000
    )
    async with standalone_dispatcher(database, sandbox, clock, batch_size=2) as dispatcher:
        assert await dispatcher.run_until_idle() == 5
        assert await dispatcher.run_until_idle() == 0
    assert _per_chat(sandbox) == Counter({p.chat_id: 1 for p in due})
    stored = await rows(database)
    sent = [m for m in stored if m.state is OutboxState.SENT]
    assert len(sent) == 5
    assert all(m.sent_at == now and m.telegram_message_id is not None for m in sent)
    assert all(m.claimed_by == "test-worker" and m.lease_until is None for m in sent)
    waiting = [m for m in stored if m.patient_id in {p.id for p in later}]
    assert {m.state for m in waiting} == {OutboxState.PENDING}


async def test_a_reminder_is_rendered_with_its_buttons(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    (patient,) = await patients_with_due_reminders(database, sandbox, 1, now=clock.now())
    async with standalone_dispatcher(database, sandbox, clock) as dispatcher:
        await dispatcher.run_until_idle()
    message = await sandbox.user(patient.telegram_user_id).next_message()
    assert "You may now book microneedling" in (message.text or "")
    assert "confirm the timing with your provider" in (message.text or "")
    assert message.button_texts == ["✅ Booked", "⏰ Remind me in 3 days", "🙅 Not for me"]


async def test_a_429_waited_out_in_place_goes_out_once_after_retry_after(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    (patient,) = await patients_with_due_reminders(database, sandbox, 1, now=clock.now())
    sandbox.inject_faults(rate=0.0, retry_after=1)
    sandbox.fail_next("429", chat_id=patient.chat_id)
    in_place = RetryPolicy(wait_in_place=timedelta(seconds=10))
    async with standalone_dispatcher(database, sandbox, clock, retry=in_place) as dispatcher:
        started = time.monotonic()
        await dispatcher.run_until_idle()
        waited = time.monotonic() - started
    assert sandbox.stats.injected == {"429": 1}
    assert _per_chat(sandbox) == Counter({patient.chat_id: 1})
    assert waited >= 1.0
    (row,) = await rows(database)
    assert row.state is OutboxState.SENT


async def test_a_long_retry_after_puts_the_row_back_until_then(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    (patient,) = await patients_with_due_reminders(database, sandbox, 1, now=clock.now())
    sandbox.inject_faults(rate=0.0, retry_after=120)
    sandbox.fail_next("429", chat_id=patient.chat_id)
    async with standalone_dispatcher(database, sandbox, clock) as dispatcher:
        await dispatcher.run_until_idle()
        (row,) = await rows(database)
        assert (row.state, row.attempts) == (OutboxState.PENDING, 1)
        assert row.due_at == clock.now() + timedelta(seconds=120)
        assert row.last_error == "429: retry after 120 s"
        clock.advance(timedelta(seconds=120))
        await dispatcher.run_until_idle()
    (row,) = await rows(database)
    assert row.state is OutboxState.SENT
    assert _per_chat(sandbox) == Counter({patient.chat_id: 1})


@pytest.mark.parametrize("kind", ["500", "502"])
async def test_a_server_error_backs_off_with_jitter_then_delivers(
    database: Database, sandbox: Sandbox, clock: FakeClock, kind: str
) -> None:
    (patient,) = await patients_with_due_reminders(database, sandbox, 1, now=clock.now())
    sandbox.fail_next(kind, times=2, chat_id=patient.chat_id)  # type: ignore[arg-type]
    retry = RetryPolicy(base_delay=timedelta(seconds=30))
    async with standalone_dispatcher(database, sandbox, clock, retry=retry) as dispatcher:
        await dispatcher.run_until_idle()
        (first,) = await rows(database)
        assert first.state is OutboxState.PENDING
        assert first.last_error is not None
        assert first.last_error.startswith("5xx:")
        delay = first.due_at - clock.now()
        assert timedelta(seconds=15) <= delay <= timedelta(seconds=30)
        clock.set(first.due_at)
        await dispatcher.run_until_idle()
        (second,) = await rows(database)
        assert second.attempts == 2
        # The second wait doubles: between half and all of 60 s.
        assert timedelta(seconds=30) <= second.due_at - clock.now() <= timedelta(seconds=60)
        clock.set(second.due_at)
        await dispatcher.run_until_idle()
    (row,) = await rows(database)
    assert row.state is OutboxState.SENT
    assert _per_chat(sandbox) == Counter({patient.chat_id: 1})


async def test_after_the_last_attempt_the_row_fails_with_the_reason(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    (patient,) = await patients_with_due_reminders(database, sandbox, 1, now=clock.now())
    sandbox.fail_next("502", times=3, chat_id=patient.chat_id)
    retry = RetryPolicy(max_attempts=3)
    async with standalone_dispatcher(database, sandbox, clock, retry=retry) as dispatcher:
        for _ in range(3):
            await dispatcher.run_until_idle()
            clock.advance(timedelta(hours=2))
    (row,) = await rows(database)
    assert row.state is OutboxState.FAILED
    assert row.attempts == 3
    assert row.last_error == "5xx: Bad Gateway (502) (gave up after 3 attempts)"
    assert _per_chat(sandbox) == Counter()


async def test_a_timeout_is_retried_later(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    (patient,) = await patients_with_due_reminders(database, sandbox, 1, now=clock.now())
    # The sandbox holds the request, delivers nothing and answers 504 (a gateway timeout).
    sandbox.inject_faults(rate=0.0, hang_seconds=0.2)
    sandbox.fail_next("timeout", chat_id=patient.chat_id)
    async with standalone_dispatcher(database, sandbox, clock) as dispatcher:
        await dispatcher.run_until_idle()
        (row,) = await rows(database)
        assert (row.state, row.attempts) == (OutboxState.PENDING, 1)
        assert row.last_error == "5xx: Gateway Timeout (504)"
        clock.set(row.due_at)
        await dispatcher.run_until_idle()
    (row,) = await rows(database)
    assert row.state is OutboxState.SENT
    assert _per_chat(sandbox) == Counter({patient.chat_id: 1})


async def test_a_read_timeout_on_our_side_is_retried_later(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    (patient,) = await patients_with_due_reminders(database, sandbox, 1, now=clock.now())
    sandbox.inject_faults(rate=0.0, slow_seconds=1.0)
    sandbox.fail_next("slow", chat_id=patient.chat_id)
    async with standalone_dispatcher(database, sandbox, clock, read_timeout=0.3) as dispatcher:
        await dispatcher.run_until_idle()
        (row,) = await rows(database)
        assert (row.state, row.attempts) == (OutboxState.PENDING, 1)
        assert row.last_error is not None
        assert row.last_error.startswith("timeout:")
    # The slow answer did deliver: at least once means this one may arrive twice.
    await eventually(lambda: _per_chat(sandbox)[patient.chat_id] == 1, what="the slow send")


async def test_a_403_blocks_the_patient_and_cancels_what_was_pending(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    now = clock.now()
    (patient,) = await patients_with_due_reminders(database, sandbox, 1, now=now)
    async with database.unit_of_work() as uow:
        await uow.outbox.add(reminder_message(patient, now + timedelta(days=3)), now=now)
        await uow.commit()
    await sandbox.user(patient.telegram_user_id).block()
    async with standalone_dispatcher(database, sandbox, clock) as dispatcher:
        await dispatcher.run_until_idle()
    stored = await rows(database)
    assert [m.state for m in stored] == [OutboxState.FAILED, OutboxState.CANCELLED]
    assert stored[0].last_error == "403: Forbidden: bot was blocked by the user"
    async with database.unit_of_work() as uow:
        after = await uow.patients.get_by_id(patient.id)
    assert after is not None
    assert after.state is PatientState.BLOCKED


async def test_a_bad_request_fails_with_the_reason_and_is_not_retried(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    # No sandbox user: Telegram answers "chat not found".
    await patients_with_due_reminders(database, None, 1, now=clock.now())
    async with standalone_dispatcher(database, sandbox, clock) as dispatcher:
        await dispatcher.run_until_idle()
        clock.advance(timedelta(days=1))
        assert await dispatcher.run_until_idle() == 0
    (row,) = await rows(database)
    assert (row.state, row.attempts) == (OutboxState.FAILED, 1)
    assert row.last_error == "400: Chat not found"
    assert sandbox.stats.bad_request_400 == 1


async def test_nothing_goes_to_a_paused_blocked_or_deleted_patient(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    now = clock.now()
    paused = await patients_with_due_reminders(
        database, sandbox, 1, now=now, state=PatientState.PAUSED, first_user_id=700_001
    )
    blocked = await patients_with_due_reminders(
        database, sandbox, 1, now=now, state=PatientState.BLOCKED, first_user_id=700_002
    )
    deleted = await patients_with_due_reminders(
        database, sandbox, 1, now=now, first_user_id=700_003
    )
    async with standalone_dispatcher(database, sandbox, clock) as dispatcher:
        # Claim first, then delete: the dispatcher finds the patient gone at send time.
        async with database.unit_of_work() as uow:
            await uow.privacy.delete_patient(deleted[0].id)
            await uow.commit()
        assert await dispatcher.run_until_idle() == 2
    assert _per_chat(sandbox) == Counter()
    states = {m.patient_id: (m.state, m.last_error) for m in await rows(database)}
    assert states == {
        paused[0].id: (OutboxState.CANCELLED, "patient paused"),
        blocked[0].id: (OutboxState.FAILED, "patient blocked the bot"),
    }


async def test_rows_of_a_dead_worker_are_sent_after_its_lease_ran_out(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    patients = await patients_with_due_reminders(database, sandbox, 3, now=clock.now())
    async with database.unit_of_work() as uow:
        claimed = await uow.outbox.claim_due(
            now=clock.now(), worker_id="dead", limit=10, lease_seconds=60
        )
        await uow.commit()
    assert len(claimed) == 3
    async with standalone_dispatcher(database, sandbox, clock) as dispatcher:
        assert await dispatcher.run_until_idle() == 0
        clock.advance(timedelta(seconds=61))
        assert await dispatcher.run_until_idle() == 3
    assert _per_chat(sandbox) == Counter({p.chat_id: 1 for p in patients})


async def test_two_dispatchers_on_one_database_send_each_row_once(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    patients = await patients_with_due_reminders(database, sandbox, 60, now=clock.now())
    async with (
        standalone_dispatcher(database, sandbox, clock, batch_size=7, worker_id="a") as one,
        standalone_dispatcher(database, sandbox, clock, batch_size=5, worker_id="b") as two,
    ):
        handled = await asyncio.gather(one.run_until_idle(), two.run_until_idle())
    assert sum(handled) == 60
    assert _per_chat(sandbox) == Counter({p.chat_id: 1 for p in patients})
    assert {m.state for m in await rows(database)} == {OutboxState.SENT}


async def test_closing_releases_claimed_rows_that_were_not_sent(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    await patients_with_due_reminders(database, sandbox, 20, now=clock.now())
    async with standalone_dispatcher(database, sandbox, clock, rate=2.0) as dispatcher:
        draining = asyncio.create_task(dispatcher.run_until_idle())
        # The first message goes out at once; the next ones wait for the 2/s pace.
        await sandbox.user(500_000).next_message()
        await dispatcher.close()
        await draining
    stored = await rows(database)
    sent = [m for m in stored if m.state is OutboxState.SENT]
    pending = [m for m in stored if m.state is OutboxState.PENDING]
    assert len(sent) == len(sandbox.sent) < 20
    assert len(sent) + len(pending) == 20
    assert all(m.claimed_by is None and m.attempts == 0 for m in pending)


async def test_an_unreadable_payload_fails_that_row_only(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    now = clock.now()
    (patient,) = await patients_with_due_reminders(database, sandbox, 1, now=now)
    async with database.unit_of_work() as uow:
        broken = reminder_message(patient, now - timedelta(minutes=1))
        await uow.outbox.add(
            type(broken)(
                kind=OutboxKind.REMINDER,
                patient_id=patient.id,
                chat_id=patient.chat_id,
                due_at=broken.due_at,
                dedupe_key="may_book:microneedling:20990101",
                payload={"kind": "may_book"},
            ),
            now=now,
        )
        await uow.commit()
    async with standalone_dispatcher(database, sandbox, clock) as dispatcher:
        await dispatcher.run_until_idle()
    states = sorted((m.state.value, m.last_error or "") for m in await rows(database))
    assert states == [
        ("failed", "cannot render: unreadable reminder payload (KeyError)"),
        ("sent", ""),
    ]


async def test_a_renderer_that_crashes_fails_its_row_and_the_batch_goes_on(
    database: Database, sandbox: Sandbox, clock: FakeClock
) -> None:
    from bot.render.outbox import outbox_renderers
    from bot.usecases.payloads import Payload

    patients = await patients_with_due_reminders(database, sandbox, 2, now=clock.now())
    real = outbox_renderers()[OutboxKind.REMINDER]

    def flaky(
        message: OutboxMessage, payload: Payload, recipient: Recipient, now: datetime
    ) -> Rendered:
        if message.patient_id == patients[0].id:
            raise KeyError("a bug")
        return real(message, payload, recipient, now)

    async with standalone_dispatcher(
        database, sandbox, clock, renderers={OutboxKind.REMINDER: flaky}
    ) as dispatcher:
        assert await dispatcher.run_until_idle() == 2
    states = {m.patient_id: (m.state, m.last_error) for m in await rows(database)}
    assert states == {
        patients[0].id: (OutboxState.FAILED, "cannot render: KeyError"),
        patients[1].id: (OutboxState.SENT, None),
    }
