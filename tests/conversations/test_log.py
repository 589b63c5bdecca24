"""/log end to end: procedure → calendar or typed date → confirm (with conflicts) → saved."""

from __future__ import annotations

from datetime import date

from bot.app import build_application
from bot.clock import FakeClock
from bot.context import BotApp
from bot.render.outlook import EN_DASH
from rules import Procedure
from sandbox import Sandbox
from sandbox.records import BotMessage
from sandbox.users import SandboxUser
from storage.database import Database
from tests.conversations.helpers import (
    assert_buttons_fit,
    expire_conversation,
    log_directly,
    onboard,
    pending_reminder_keys,
    press_and_wait_for_edit,
    stored_treatments,
)
from tests.fixtures.bot import bot_settings, running

# The test clock: Tuesday 24 Nov 2026, 10:30 in Berlin.
TODAY = date(2026, 11, 24)


async def _calendar(user: SandboxUser, procedure: str = "Botox") -> BotMessage:
    await user.send("/log")
    choice = await user.next_message()
    assert choice.text == "What would you like to log?"
    return await press_and_wait_for_edit(user, choice, procedure)


async def test_botox_from_the_calendar_is_saved_with_the_next_dates_and_reminders(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("/log")
    choice = await ana.next_message()
    assert choice.button_texts == ["Botox", "Microneedling", "Cancel"]
    calendar = await press_and_wait_for_edit(ana, choice, "Botox")
    assert "when?" in (calendar.text or "")
    assert "November 2026" in calendar.button_texts
    assert {"Today", "Yesterday", "◀", "▶", "•24"} <= set(calendar.button_texts)
    confirm = await press_and_wait_for_edit(ana, calendar, "Yesterday")
    assert (confirm.text or "").startswith("Botox on Mon, 23 Nov 2026 (done)")
    assert confirm.button_texts == ["✅ Save", "Cancel"]
    since = ana.version
    await ana.press(confirm, "✅ Save")
    saved = await ana.next_message()
    text = saved.text or ""
    assert text.startswith("✅ Saved: Botox on Mon, 23 Nov 2026 (done).")
    assert "Microneedling: earliest Mon, 7 Dec 2026" in text
    assert "at least 14 days after Botox" in text
    assert "Reminders to come" in text
    assert "Mon, 7 Dec 2026: microneedling becomes possible: you may book it" in text
    assert "confirm the timing with your provider" in text
    assert confirm.buttons == [], "the confirm screen's buttons are gone after saving"
    assert ana.answered_callbacks[-1].text == "Saved."
    assert confirm.version > since
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 23))]
    assert "may_book:microneedling:20261207" in await pending_reminder_keys(bot_database, 1001)
    assert_buttons_fit(ana)


async def test_the_month_arrows_page_the_calendar_and_a_future_day_is_planned(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    calendar = await _calendar(ana, "Microneedling")
    calendar = await press_and_wait_for_edit(ana, calendar, "▶")
    calendar = await press_and_wait_for_edit(ana, calendar, "▶")
    assert "January 2027" in calendar.button_texts
    calendar = await press_and_wait_for_edit(ana, calendar, "◀")
    assert "December 2026" in calendar.button_texts
    confirm = await press_and_wait_for_edit(ana, calendar, "10")
    assert (confirm.text or "").startswith("Microneedling on Thu, 10 Dec 2026 (planned)")
    await ana.press(confirm, "✅ Save")
    saved = await ana.next_message()
    assert "Saved: Microneedling on Thu, 10 Dec 2026 (planned)" in (saved.text or "")
    # Botox is possible now, but not from two weeks before to a week after the planned one.
    assert "Botox: possible from today." in (saved.text or "")
    assert f"• 27 Nov {EN_DASH} 16 Dec: because of your microneedling on 10 Dec" in (
        saved.text or ""
    )
    assert "Botox should be done by 26 Nov: at least 14 days before microneedling" in (
        saved.text or ""
    )
    assert await stored_treatments(bot_database, 1001) == [("microneedling", date(2026, 12, 10))]
    assert_buttons_fit(ana)


async def test_the_calendar_offers_no_month_more_than_two_years_ahead(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    calendar = await _calendar(ana)
    calendar = await press_and_wait_for_edit(ana, calendar, data="lg:m:botox:202811")
    assert "November 2028" in calendar.button_texts
    assert "▶" not in calendar.button_texts
    assert "23" in calendar.button_texts  # 23 Nov 2028 is 730 days ahead...
    assert "24" not in calendar.button_texts  # ...and the days after it are inert
    calendar = await press_and_wait_for_edit(ana, calendar, data="lg:m:botox:200001")
    assert "January 2000" in calendar.button_texts
    assert "◀" not in calendar.button_texts
    assert_buttons_fit(ana)


async def test_a_typed_date_is_read_and_the_confirm_comes_as_a_new_message(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    calendar = await _calendar(ana)
    await ana.send("next friday")
    confirm = await ana.next_message()
    assert (confirm.text or "").startswith("Botox on Fri, 27 Nov 2026 (planned)")
    assert calendar.buttons == [], "the calendar is retired once a typed date moved on"
    await ana.press(confirm, "✅ Save")
    assert "Saved: Botox on Fri, 27 Nov 2026 (planned)" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 27))]


async def test_typed_dates_that_cannot_be_saved_are_explained_and_the_calendar_still_waits(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await _calendar(ana)
    await ana.send("31.02.2026")
    assert "31.02.2026 does not exist" in ((await ana.next_message()).text or "")
    await ana.send("1999-12-31")
    assert "from Sat, 1 Jan 2000 to Thu, 23 Nov 2028" in ((await ana.next_message()).text or "")
    await ana.send("24.11.2028")
    assert "I can only keep dates from" in ((await ana.next_message()).text or "")
    await ana.send("whenever")
    assert "couldn't read that as a date" in ((await ana.next_message()).text or "")
    await ana.send("x" * 5000)
    assert "couldn't read that as a date" in ((await ana.next_message()).text or "")
    await ana.send("20/11/2026")
    confirm = await ana.next_message()
    assert (confirm.text or "").startswith("Botox on Fri, 20 Nov 2026 (done)")
    assert await stored_treatments(bot_database, 1001) == []


async def test_an_entry_that_breaks_a_rule_is_explained_and_saved_only_when_insisted(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 30), clock.now())
    calendar = await _calendar(ana, "Microneedling")
    confirm = await press_and_wait_for_edit(ana, calendar, "27")
    text = confirm.text or ""
    assert "goes against the spacing guidance" in text
    assert "Microneedling on 27 Nov would be only 3 days before your Botox on 30 Nov" in text
    assert "at least 7 days before Botox" in text
    assert "Save anyway?" in text
    assert "confirm the timing with your provider" in text
    assert confirm.button_texts == ["⚠️ Save anyway", "Cancel"]
    await ana.press(confirm, "Cancel")
    assert (await ana.next_message()).text == "Cancelled, nothing was saved."
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 30))]

    calendar = await _calendar(ana, "Microneedling")
    confirm = await press_and_wait_for_edit(ana, calendar, "27")
    await ana.press(confirm, "⚠️ Save anyway")
    assert "Saved: Microneedling on Fri, 27 Nov 2026" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == [
        ("botox", date(2026, 11, 30)),
        ("microneedling", date(2026, 11, 27)),
    ]


async def test_an_entry_already_logged_is_called_a_repeat_not_a_conflict(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    calendar = await _calendar(ana)
    confirm = await press_and_wait_for_edit(ana, calendar, "20")
    assert "already logged this" in (confirm.text or "")
    assert "spacing guidance" not in (confirm.text or "")
    await ana.press(confirm, "✅ Save")
    assert "Already saved" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 20))]


async def test_save_pressed_twice_quickly_saves_once(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    calendar = await _calendar(ana)
    confirm = await press_and_wait_for_edit(ana, calendar, "Today")
    await ana.press(confirm, "✅ Save")
    await ana.press(confirm, "✅ Save")
    first, aftercare, second = [await ana.next_message() for _ in range(3)]
    assert (first.text or "").startswith("✅ Saved: Botox on Tue, 24 Nov 2026 (done).")
    assert (aftercare.text or "").startswith("🩹 Aftercare for your Botox")
    assert (second.text or "").startswith("☑️ Already saved: Botox on Tue, 24 Nov 2026")
    await ana.wait_until_idle(quiet=0.1)
    assert [a.text for a in ana.answered_callbacks][-2:] == ["Saved.", "Already saved."]
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 24))]


async def test_a_save_button_still_works_after_the_bot_restarted(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    settings = bot_settings(sandbox)
    async with running(build_application(settings, clock=clock, database=bot_database)):
        await onboard(ana)
        calendar = await _calendar(ana)
        confirm = await press_and_wait_for_edit(ana, calendar, "Yesterday")
    async with running(build_application(settings, clock=clock, database=bot_database)):
        await ana.press(confirm, "✅ Save")
        assert "✅ Saved" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 23))]


async def test_cancel_in_the_middle_of_log_saves_nothing_and_ends_the_flow(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    calendar = await _calendar(ana)
    await ana.send("/cancel")
    assert (await ana.next_message()).text == "Cancelled, nothing was saved."
    assert calendar.buttons == []
    # The flow is over: a date on its own is now free text, not an answer to /log.
    await ana.send("20.11.2026")
    assert "didn't catch a treatment" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == []


async def test_cancel_on_the_confirm_screen_saves_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    calendar = await _calendar(ana)
    confirm = await press_and_wait_for_edit(ana, calendar, "Today")
    await ana.send("/cancel")
    assert (await ana.next_message()).text == "Cancelled, nothing was saved."
    assert confirm.buttons == []
    assert await stored_treatments(bot_database, 1001) == []


async def test_a_log_left_open_past_the_timeout_ends_cleanly(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    calendar = await _calendar(ana)
    await expire_conversation(bot_app, "log", ana)
    assert "stopped waiting, so nothing was saved" in ((await ana.next_message()).text or "")
    assert calendar.buttons == []
    await ana.send("yesterday")
    assert "didn't catch a treatment" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == []


async def test_log_before_consent_asks_to_start_and_stores_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    stranger = sandbox.user(3003)
    await stranger.send("/log")
    assert "send /start first" in ((await stranger.next_message()).text or "")
    await stranger.send("/start")
    welcome = await stranger.next_message()
    await stranger.press_data(welcome, "lg:s:botox:20261120")
    assert "send /start first" in ((await stranger.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        assert await uow.patients.get_by_user_id(3003) is None


async def test_forged_log_buttons_are_out_of_date_and_change_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("/log")
    choice = await ana.next_message()
    forged = [
        "lg:s:facelift:20261120",
        "lg:s:botox:20260231",
        "lg:s:botox",
        "lg:d:botox:yesterday",
        "lg:p:facelift",
        "lg:m:botox:202613",
        "lg:zz:1",
    ]
    for data in forged:
        await ana.press_data(choice, data)
        assert "This is out of date" in ((await ana.next_message()).text or ""), data
    await ana.wait_until_idle(quiet=0.1)
    assert [a.text for a in ana.answered_callbacks][-len(forged) :] == [
        "This is out of date."
    ] * len(forged)
    await ana.press_data(choice, "lg:s:botox:19991231")
    assert "I can only keep dates from" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == []


async def test_logging_leaves_a_second_patients_data_untouched(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, ben = sandbox.user(1001), sandbox.user(1002)
    await onboard(ana)
    await onboard(ben, zone="America/New_York")
    await log_directly(bot_database, 1002, Procedure.MICRONEEDLING, date(2026, 11, 1), clock.now())
    ben_reminders = await pending_reminder_keys(bot_database, 1002)
    calendar = await _calendar(ana)
    confirm = await press_and_wait_for_edit(ana, calendar, "Yesterday")
    await ana.press(confirm, "✅ Save")
    saved = (await ana.next_message()).text or ""
    assert "1 Nov" not in saved, "Ana's answer knows nothing of Ben's history"
    assert await stored_treatments(bot_database, 1002) == [("microneedling", date(2026, 11, 1))]
    assert await pending_reminder_keys(bot_database, 1002) == ben_reminders
    assert ben.skip_messages() == 0, "Ben was sent nothing"


async def test_a_spanish_speaker_logs_in_spanish(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    await lucia.send("/log")
    choice = await lucia.next_message()
    assert choice.text == "¿Qué quieres registrar?"
    assert choice.button_texts == ["Bótox", "Microneedling", "Cancelar"]
    calendar = await press_and_wait_for_edit(lucia, choice, "Bótox")
    assert "Noviembre 2026" in calendar.button_texts
    assert {"Hoy", "Ayer", "Lu", "Do"} <= set(calendar.button_texts)
    await lucia.send("hace 3 días")
    confirm = await lucia.next_message()
    assert (confirm.text or "").startswith("Bótox el sáb, 21 nov 2026 (hecho)")
    await lucia.press(confirm, "✅ Guardar")
    saved = (await lucia.next_message()).text or ""
    assert saved.startswith("✅ Guardado: Bótox el sáb, 21 nov 2026 (hecho).")
    assert "Microneedling: como pronto el sáb, 5 dic 2026" in saved
    assert "al menos 14 días después del bótox" in saved
    assert "Avisos previstos" in saved
    assert "Confirma las fechas con tu profesional" in saved
    assert "Cuidados después de tu bótox" in ((await lucia.next_message()).text or "")
    assert await stored_treatments(bot_database, 2002) == [("botox", date(2026, 11, 21))]
    await lucia.send("/log")
    calendar = await press_and_wait_for_edit(lucia, await lucia.next_message(), "Microneedling")
    await lucia.send("31.02.2026")
    assert "31.02.2026 no existe" in ((await lucia.next_message()).text or "")
    await lucia.send("/cancel")
    assert (await lucia.next_message()).text == "Cancelado, no se ha guardado nada."
    assert_buttons_fit(lucia)
