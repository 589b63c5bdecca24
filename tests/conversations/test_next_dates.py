"""/next end to end: earliest dates, blocked windows, reminders, the clinic's guidance."""

from __future__ import annotations

from datetime import date

from bot.clock import FakeClock
from bot.context import BotApp
from bot.render.outlook import EN_DASH
from bot.usecases.planning import replan
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from tests.conversations.helpers import (
    log_directly,
    onboard,
    patient_of,
    pending_reminder_keys,
    stored_treatments,
)


async def test_a_patient_with_no_history_is_nudged_to_log(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("/next")
    text = (await ana.next_message()).text or ""
    assert "no treatments logged yet" in text
    assert "/log" in text


async def test_next_shows_earliest_dates_blocked_windows_and_reminders(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    await log_directly(bot_database, 1001, Procedure.MICRONEEDLING, date(2027, 1, 20), clock.now())
    await ana.send("/next")
    text = (await ana.next_message()).text or ""
    assert text.startswith("📅 What's next")
    botox, micro = text.split("\n\nMicroneedling\n")
    assert "Botox\nEarliest: Thu, 18 Feb 2027" in botox
    assert f"• 24 Nov {EN_DASH} 17 Feb: because of your Botox on 20 Nov" in botox
    assert "Earliest: Fri, 4 Dec 2026" in micro
    assert (
        f"• 24 Nov {EN_DASH} 3 Dec: because of your Botox on 20 Nov, microneedling should wait"
        in micro
    )
    # The planned microneedling on 20 Jan blocks it for 28 days either way.
    assert "because of your planned microneedling on 20 Jan" in micro
    assert "🔔 Reminders to come" in text
    assert "• Mon, 18 Jan 2027: your planned microneedling is coming up" in text
    assert "• Thu, 18 Feb 2027: Botox is due again" in text
    assert "Your clinic" not in text
    assert text.endswith(
        "This is guidance, not medical advice. Please confirm the timing with your provider "
        "before booking."
    )


async def test_nothing_blocking_reads_from_today(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2025, 1, 10), clock.now())
    await ana.send("/next")
    text = (await ana.next_message()).text or ""
    assert text.count("Earliest: from today") == 2
    assert "Not on:" not in text
    assert "No reminders are planned right now." in text


async def test_a_clinic_patient_sees_the_clinic_and_its_guidance_version(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    patient = await patient_of(bot_database, 1001)
    async with bot_database.unit_of_work() as uow:
        clinic = await uow.clinics.create("Skin & <Glow>", now=clock.now())
        await uow.clinics.join(patient.id, clinic.id, now=clock.now())
        await uow.guidance.set_override(
            clinic.id,
            Procedure.BOTOX,
            Procedure.MICRONEEDLING,
            21,
            changed_by=None,
            reason="our protocol",
            now=clock.now(),
        )
        await replan(uow, patient.id, clock.now())
        await uow.commit()
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    await ana.send("/next")
    message = await ana.next_message()
    text = message.text or ""
    assert "🏥 Your clinic: Skin & <Glow>, guidance version 1" in text
    assert "&lt;Glow&gt;" in (message.raw_text or ""), "the clinic's name is escaped"
    # The clinic's 21 days apply, not the default 14.
    assert "Earliest: Fri, 11 Dec 2026" in text
    assert "at least 21 days after Botox" in text


async def test_next_before_consent_asks_to_start(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    stranger = sandbox.user(3003)
    await stranger.send("/next")
    assert "send /start first" in ((await stranger.next_message()).text or "")


async def test_next_shows_only_the_patients_own_data_and_changes_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, ben = sandbox.user(1001), sandbox.user(1002)
    await onboard(ana)
    await onboard(ben)
    await log_directly(bot_database, 1002, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    ben_reminders = await pending_reminder_keys(bot_database, 1002)
    await ana.send("/next")
    text = (await ana.next_message()).text or ""
    assert "no treatments logged yet" in text, "Ben's Botox is not in Ana's outlook"
    assert await stored_treatments(bot_database, 1002) == [("botox", date(2026, 11, 20))]
    assert await pending_reminder_keys(bot_database, 1002) == ben_reminders
    assert ben.skip_messages() == 0


async def test_next_in_spanish(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    await log_directly(bot_database, 2002, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    await lucia.send("/next")
    text = (await lucia.next_message()).text or ""
    assert text.startswith("📅 Lo próximo")
    assert "Como pronto: vie, 4 dic 2026" in text
    assert "Avisos previstos" in text


async def test_next_calls_a_botox_still_to_come_planned_in_every_reason(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 12, 10), clock.now())
    await ana.send("/next")
    text = (await ana.next_message()).text or ""
    assert (
        "because of your planned Botox on 10 Dec, microneedling should wait until 24 Dec: "
        "at least 14 days after Botox" in text
    )
    assert "because of your planned Botox on 10 Dec, Botox should wait until 10 Mar" in text
    assert "because of your Botox on 10 Dec" not in text


async def test_next_in_spanish_calls_a_botox_still_to_come_previsto(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    await log_directly(bot_database, 2002, Procedure.BOTOX, date(2026, 12, 10), clock.now())
    await lucia.send("/next")
    text = (await lucia.next_message()).text or ""
    assert (
        "por tu bótox previsto el 10 dic, el microneedling debería esperar hasta el 24 dic: "
        "al menos 14 días después del bótox" in text
    )
    assert "por tu bótox del 10 dic" not in text


async def test_next_says_your_botox_without_planned_once_its_day_has_passed(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 23), clock.now())
    await ana.send("/next")
    text = (await ana.next_message()).text or ""
    assert "because of your Botox on 23 Nov, microneedling should wait until 7 Dec" in text
    assert "planned Botox" not in text
