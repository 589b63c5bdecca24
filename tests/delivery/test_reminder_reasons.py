"""What a reminder says about the entry behind it: a Botox still to come is "planned".

Europe/Berlin, reminders at 09:00 and two days ahead; the fake clock starts on Tue 24 Nov
2026. A Botox planned for Thu 10 Dec is reminded on Tue 8 Dec.
"""

from __future__ import annotations

from datetime import date

from bot.clock import FakeClock
from bot.context import BotApp
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from tests.delivery.helpers import advance_to, local, log, new_patient

PLANNED_BOTOX = date(2026, 12, 10)
BEFORE_IT = local(date(2026, 12, 8), 9)


async def test_a_reminder_before_a_planned_botox_calls_it_planned_in_both_reasons(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await new_patient(bot_database, sandbox, 1001, now=clock.now())
    await log(bot_database, patient, Procedure.BOTOX, PLANNED_BOTOX, clock.now())
    assert await advance_to(clock, bot_app, BEFORE_IT) == 1
    text = (await sandbox.user(1001).next_message()).text or ""
    assert "Your Botox is planned for Thu, 10 Dec 2026" in text
    assert (
        "• Because of your planned Botox on 10 Dec, microneedling should be done by 3 Dec: "
        "at least 7 days before Botox." in text
    )
    assert (
        "• Because of your planned Botox on 10 Dec, microneedling should wait until 24 Dec: "
        "at least 14 days after Botox." in text
    )
    assert "Because of your Botox on 10 Dec" not in text


async def test_a_spanish_reminder_before_a_planned_botox_calls_it_previsto(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await new_patient(bot_database, sandbox, 3003, now=clock.now(), language="es")
    await log(bot_database, patient, Procedure.BOTOX, PLANNED_BOTOX, clock.now())
    assert await advance_to(clock, bot_app, BEFORE_IT) == 1
    text = (await sandbox.user(3003).next_message()).text or ""
    assert (
        "• Por tu bótox previsto el 10 dic, el microneedling debería esperar hasta el 24 dic: "
        "al menos 14 días después del bótox." in text
    )
    assert "Por tu bótox del 10 dic" not in text


async def test_a_reminder_planned_before_the_botox_and_sent_after_it_no_longer_says_planned(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    # Planned on 24 Nov for a Botox on 30 Nov: microneedling may follow from 14 Dec, and
    # the heads-up of 12 Dec goes out when that Botox is behind the patient.
    patient = await new_patient(bot_database, sandbox, 1001, now=clock.now())
    await log(bot_database, patient, Procedure.BOTOX, date(2026, 11, 30), clock.now())
    assert await advance_to(clock, bot_app, local(date(2026, 12, 12), 9)) == 1
    text = (await sandbox.user(1001).next_message()).text or ""
    assert "Microneedling will be possible from Mon, 14 Dec 2026" in text
    assert "Because of your Botox on 30 Nov, microneedling should wait until 14 Dec" in text
    assert "planned Botox" not in text


async def test_a_spanish_reminder_sent_after_the_botox_no_longer_says_previsto(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await new_patient(bot_database, sandbox, 3003, now=clock.now(), language="es")
    await log(bot_database, patient, Procedure.BOTOX, date(2026, 11, 30), clock.now())
    assert await advance_to(clock, bot_app, local(date(2026, 12, 12), 9)) == 1
    text = (await sandbox.user(3003).next_message()).text or ""
    assert "Por tu bótox del 30 nov, el microneedling debería esperar hasta el 14 dic" in text
    assert "previsto" not in text
