"""Reminders arrive at the patient's local hour on the right day: DST days and quiet hours.

Europe/Berlin moves to summer time on Sun 28 Mar 2027 (02:00 -> 03:00, UTC+1 -> UTC+2) and
back on Sun 31 Oct 2027 (03:00 -> 02:00). Botox 14 days before makes microneedling possible
on the day itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.clock import FakeClock
from bot.context import BotApp
from bot.usecases.settings import change_settings
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from tests.delivery.helpers import advance_to, log, new_patient

MINUTE = timedelta(minutes=1)


async def _patient_with_micro_on(
    database: Database,
    sandbox: Sandbox,
    clock: FakeClock,
    day: date,
    *,
    reminder_hour: int,
    quiet: tuple[time, time] | None,
) -> None:
    clock.set(datetime.combine(day - timedelta(days=13), time(12), tzinfo=UTC))
    patient = await new_patient(database, sandbox, now=clock.now())
    await change_settings(
        database,
        patient.id,
        clock.now(),
        reminder_hour=reminder_hour,
        heads_up_days=0,
        quiet_start=quiet[0] if quiet else None,
        quiet_end=quiet[1] if quiet else None,
    )
    await log(database, patient, Procedure.BOTOX, day - timedelta(days=14), clock.now())


async def test_on_the_spring_forward_day_nine_oclock_is_seven_utc(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    day = date(2027, 3, 28)
    await _patient_with_micro_on(
        bot_database, sandbox, clock, day, reminder_hour=9, quiet=(time(22), time(8))
    )
    due = datetime(2027, 3, 28, 7, tzinfo=UTC)  # 09:00 CEST
    assert await advance_to(clock, bot_app, due - MINUTE) == 0
    assert await advance_to(clock, bot_app, due) == 1
    assert "You may now book" in (sandbox.user(1001).messages[-1].text or "")


async def test_an_hour_that_does_not_exist_moves_to_the_next_valid_time(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    day = date(2027, 3, 28)
    await _patient_with_micro_on(bot_database, sandbox, clock, day, reminder_hour=2, quiet=None)
    due = datetime(2027, 3, 28, 1, tzinfo=UTC)  # 02:00 does not exist; 03:00 CEST
    assert await advance_to(clock, bot_app, due - MINUTE) == 0
    assert await advance_to(clock, bot_app, due) == 1


async def test_an_hour_that_happens_twice_fires_the_first_time_only(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    day = date(2027, 10, 31)
    await _patient_with_micro_on(bot_database, sandbox, clock, day, reminder_hour=2, quiet=None)
    first = datetime(2027, 10, 31, 0, tzinfo=UTC)  # 02:00 CEST; 02:00 CET is an hour later
    assert await advance_to(clock, bot_app, first - MINUTE) == 0
    assert await advance_to(clock, bot_app, first) == 1
    assert await advance_to(clock, bot_app, first + timedelta(hours=1)) == 0


async def test_a_reminder_hour_inside_quiet_hours_waits_for_their_end(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    day = date(2027, 1, 20)
    await _patient_with_micro_on(
        bot_database, sandbox, clock, day, reminder_hour=23, quiet=(time(22), time(8))
    )
    at_hour = datetime(2027, 1, 20, 22, tzinfo=UTC)  # 23:00 CET, inside 22:00-08:00
    next_morning = datetime(2027, 1, 21, 7, tzinfo=UTC)  # 08:00 CET
    assert await advance_to(clock, bot_app, at_hour) == 0
    assert await advance_to(clock, bot_app, next_morning - MINUTE) == 0
    assert await advance_to(clock, bot_app, next_morning) == 1


async def test_an_early_hour_before_quiet_hours_end_waits_the_same_morning(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    day = date(2027, 1, 20)
    await _patient_with_micro_on(
        bot_database, sandbox, clock, day, reminder_hour=6, quiet=(time(22), time(8))
    )
    end_of_quiet = datetime(2027, 1, 20, 7, tzinfo=UTC)  # 08:00 CET
    assert await advance_to(clock, bot_app, end_of_quiet - MINUTE) == 0
    assert await advance_to(clock, bot_app, end_of_quiet) == 1
