"""Stop the bot, let time pass, start it again: due reminders go out once, per the policy.

While the bot is down from Tue 24 Nov 2026 to Mon 7 Dec 10:00 (Europe/Berlin):
- Ana (Botox 23 Nov): her heads-up (5 Dec) and "you may now book" (7 Dec) both came due;
  the heads-up is overtaken and dropped, the may-book goes out once.
- Ben (microneedling planned for 6 Dec): the reminder before it (4 Dec) announces a date
  that has passed; it is dropped.
- Cleo (Botox 12 Nov): "you may now book microneedling" was due 26 Nov, 11 days ago; it is
  replaced by one catch-up summary.
- Dan (Botox 20 Nov): "you may now book" was due 4 Dec, 3 days ago; it goes out late, once.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from bot.app import build_application
from bot.clock import FakeClock
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from storage.records import OutboxState
from tests.delivery.helpers import local, log, new_patient, rows
from tests.fixtures.bot import bot_settings, running

ANA, BEN, CLEO, DAN = 1001, 1002, 1003, 1004


def _per_chat(sandbox: Sandbox) -> Counter[int]:
    return Counter(r.chat_id for r in sandbox.sent if r.method == "sendMessage")


async def _start_and_drain(sandbox: Sandbox, database: Database, clock: FakeClock) -> None:
    application = build_application(bot_settings(sandbox), clock=clock, database=database)
    async with running(application):
        await application.bot_data.services.dispatcher.run_until_idle()
        await sandbox.wait_until_idle()


async def test_after_a_downtime_each_due_reminder_goes_out_once_per_the_policy(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    now = clock.now()
    ana = await new_patient(bot_database, sandbox, ANA, now=now)
    ben = await new_patient(bot_database, sandbox, BEN, now=now)
    cleo = await new_patient(bot_database, sandbox, CLEO, now=now)
    dan = await new_patient(bot_database, sandbox, DAN, now=now)
    await log(bot_database, ana, Procedure.BOTOX, date(2026, 11, 23), now)
    await log(bot_database, ben, Procedure.MICRONEEDLING, date(2026, 12, 6), now)
    await log(bot_database, cleo, Procedure.BOTOX, date(2026, 11, 12), now)
    await log(bot_database, dan, Procedure.BOTOX, date(2026, 11, 20), now)

    await _start_and_drain(sandbox, bot_database, clock)  # running, nothing due yet
    assert _per_chat(sandbox) == Counter()

    clock.set(local(date(2026, 12, 7), 10))  # the bot is down meanwhile
    await _start_and_drain(sandbox, bot_database, clock)

    assert _per_chat(sandbox) == Counter({ANA: 1, CLEO: 1, DAN: 1})
    assert "You may now book microneedling" in (sandbox.user(ANA).messages[0].text or "")
    summary = sandbox.user(CLEO).messages[0].text or ""
    assert "While I was offline, these reminders came due" in summary
    assert "Microneedling: possible since Thu, 26 Nov 2026" in summary
    assert "confirm the timing with your provider" in summary
    assert "You may now book microneedling" in (sandbox.user(DAN).messages[0].text or "")

    def state(patient_id: int, key: str) -> tuple[OutboxState, str | None]:
        found = next(m for m in stored if m.patient_id == patient_id and m.dedupe_key == key)
        return found.state, found.last_error

    stored = await rows(bot_database)
    assert state(ana.id, "heads_up:microneedling:20261207") == (
        OutboxState.CANCELLED,
        "overtaken by a later reminder",
    )
    assert state(ana.id, "may_book:microneedling:20261207") == (OutboxState.SENT, None)
    assert state(ben.id, "before_planned:microneedling:20261206") == (
        OutboxState.CANCELLED,
        "its planned date has passed",
    )
    assert state(cleo.id, "may_book:microneedling:20261126") == (
        OutboxState.CANCELLED,
        "replaced by a catch-up summary",
    )
    assert state(dan.id, "may_book:microneedling:20261204") == (OutboxState.SENT, None)

    # Another restart later the same day sends nothing again.
    clock.set(local(date(2026, 12, 7), 11))
    await _start_and_drain(sandbox, bot_database, clock)
    assert _per_chat(sandbox) == Counter({ANA: 1, CLEO: 1, DAN: 1})


async def test_a_restart_right_after_a_crash_sends_the_claimed_rows_once_their_lease_ends(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    now = clock.now()
    ana = await new_patient(bot_database, sandbox, ANA, now=now)
    await log(bot_database, ana, Procedure.BOTOX, date(2026, 11, 23), now)
    clock.set(local(date(2026, 12, 5), 9))
    # A process claimed the heads-up and died before sending it.
    async with bot_database.unit_of_work() as uow:
        (claimed,) = await uow.outbox.claim_due(
            now=clock.now(), worker_id="crashed", limit=10, lease_seconds=60
        )
        await uow.commit()
    await _start_and_drain(sandbox, bot_database, clock)
    assert _per_chat(sandbox) == Counter()
    clock.set(local(date(2026, 12, 5), 9, 2))
    await _start_and_drain(sandbox, bot_database, clock)
    assert _per_chat(sandbox) == Counter({ANA: 1})
    assert claimed.dedupe_key == "heads_up:microneedling:20261207"
