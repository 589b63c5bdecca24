"""Free text without a command: read procedure and date, show what was understood, save."""

from __future__ import annotations

from datetime import date

from bot.clock import FakeClock
from bot.context import BotApp
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from tests.conversations.helpers import (
    assert_buttons_fit,
    log_directly,
    onboard,
    pending_reminder_keys,
    press_and_wait_for_edit,
    stored_treatments,
)


async def test_had_botox_yesterday_is_understood_and_saved_after_confirming(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("had botox yesterday")
    understood = await ana.next_message()
    assert (understood.text or "").startswith(
        "I understood: Botox on Mon, 23 Nov 2026 (done).\n\nSave it?"
    )
    assert understood.button_texts == ["✅ Save", "📅 Another date", "Cancel"]
    assert await stored_treatments(bot_database, 1001) == [], "nothing is saved before Save"
    await ana.press(understood, "✅ Save")
    saved = (await ana.next_message()).text or ""
    assert saved.startswith("✅ Saved: Botox on Mon, 23 Nov 2026 (done).")
    assert "Microneedling: earliest Mon, 7 Dec 2026" in saved
    assert "confirm the timing with your provider" in saved
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 23))]
    assert_buttons_fit(ana)


async def test_a_day_and_month_is_this_year_and_a_later_date_is_planned(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("microneedling on 20.11")
    assert "Microneedling on Fri, 20 Nov 2026 (done)" in ((await ana.next_message()).text or "")
    await ana.send("botox planned 10 dec")
    planned = await ana.next_message()
    assert "I understood: Botox on Thu, 10 Dec 2026 (planned)." in (planned.text or "")
    await ana.press(planned, "✅ Save")
    assert "Saved: Botox on Thu, 10 Dec 2026 (planned)" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 12, 10))]


async def test_a_conflicting_entry_is_explained_before_saving(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    await ana.send("microneedling today")
    understood = await ana.next_message()
    text = understood.text or ""
    assert "Microneedling on 24 Nov would be only 4 days after your Botox on 20 Nov" in text
    assert "at least 14 days after Botox" in text
    assert understood.button_texts == ["⚠️ Save anyway", "📅 Another date", "Cancel"]
    await ana.press(understood, "Cancel")
    assert (await ana.next_message()).text == "Cancelled, nothing was saved."
    assert understood.buttons == []
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 20))]


async def test_another_date_continues_in_the_log_calendar(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("had microneedling yesterday")
    understood = await ana.next_message()
    calendar = await press_and_wait_for_edit(ana, understood, "📅 Another date")
    assert "Microneedling: when?" in (calendar.text or "")
    await ana.send("22.11.2026")
    confirm = await ana.next_message()
    await ana.press(confirm, "✅ Save")
    assert "Saved: Microneedling on Sun, 22 Nov 2026" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == [("microneedling", date(2026, 11, 22))]


async def test_text_that_is_not_a_treatment_gets_a_hint_with_examples(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    for text in ("hello", "facelift yesterday", "botox", "yesterday"):
        await ana.send(text)
        hint = (await ana.next_message()).text or ""
        assert "didn't catch a treatment and a date" in hint, text
        assert "had botox yesterday" in hint
        assert "/log" in hint
    assert await stored_treatments(bot_database, 1001) == []


async def test_an_impossible_date_is_named_as_impossible(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("botox on 31.02.2026")
    answer = await ana.next_message()
    assert "31.02.2026 does not exist in the calendar" in (answer.text or "")
    assert answer.buttons == []
    assert await stored_treatments(bot_database, 1001) == []


async def test_dates_before_2000_or_more_than_two_years_ahead_are_refused(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    for text in ("botox on 1999-12-31", "microneedling on 2029-01-15"):
        await ana.send(text)
        answer = await ana.next_message()
        assert "I can only keep dates from Sat, 1 Jan 2000 to Thu, 23 Nov 2028" in (
            answer.text or ""
        ), text
        assert answer.buttons == []
    assert await stored_treatments(bot_database, 1001) == []


async def test_a_5000_character_message_is_too_long_and_nothing_is_read(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("had botox yesterday " + "a" * 4980)
    answer = await ana.next_message()
    assert "That's too long for me" in (answer.text or "")
    assert answer.buttons == []
    assert await stored_treatments(bot_database, 1001) == []


async def test_save_pressed_twice_quickly_saves_once(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("had botox yesterday")
    understood = await ana.next_message()
    await ana.press(understood, "✅ Save")
    await ana.press(understood, "✅ Save")
    assert "✅ Saved" in ((await ana.next_message()).text or "")
    assert "Aftercare for your Botox" in ((await ana.next_message()).text or "")
    assert "Already saved" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 23))]


async def test_forged_free_text_buttons_are_out_of_date(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("had botox yesterday")
    understood = await ana.next_message()
    for data in ("ft:s:botox:2026112", "ft:s:laser:20261123", "ft:x:1", "ft:q"):
        await ana.press_data(understood, data)
        assert "This is out of date" in ((await ana.next_message()).text or ""), data
    assert await stored_treatments(bot_database, 1001) == []


async def test_free_text_before_consent_asks_to_start(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    stranger = sandbox.user(3003)
    await stranger.send("had botox yesterday")
    assert "send /start first" in ((await stranger.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        assert await uow.patients.get_by_user_id(3003) is None


async def test_free_text_leaves_a_second_patients_data_untouched(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, ben = sandbox.user(1001), sandbox.user(1002)
    await onboard(ana)
    await onboard(ben)
    await log_directly(bot_database, 1002, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    ben_reminders = await pending_reminder_keys(bot_database, 1002)
    await ana.send("microneedling today")
    understood = await ana.next_message()
    assert "spacing guidance" not in (understood.text or ""), "Ben's Botox is not Ana's"
    await ana.press(understood, "✅ Save")
    await ana.next_message()
    assert await stored_treatments(bot_database, 1002) == [("botox", date(2026, 11, 20))]
    assert await pending_reminder_keys(bot_database, 1002) == ben_reminders
    assert ben.skip_messages() == 0


async def test_a_spanish_speaker_writes_in_spanish(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    await lucia.send("me hice bótox ayer")
    understood = await lucia.next_message()
    assert (understood.text or "").startswith(
        "He entendido: Bótox el lun, 23 nov 2026 (hecho).\n\n¿Lo guardo?"
    )
    assert understood.button_texts == ["✅ Guardar", "📅 Otra fecha", "Cancelar"]
    await lucia.press(understood, "✅ Guardar")
    saved = (await lucia.next_message()).text or ""
    assert saved.startswith("✅ Guardado: Bótox el lun, 23 nov 2026 (hecho).")
    assert "Cuidados después de tu bótox" in ((await lucia.next_message()).text or "")
    await lucia.send("bótox previsto el 10 dic")
    assert "Bótox el jue, 10 dic 2026 (previsto)" in ((await lucia.next_message()).text or "")
    await lucia.send("hola")
    hint = (await lucia.next_message()).text or ""
    assert "me hice bótox ayer" in hint
    await lucia.send("microneedling el 31.02.2026")
    assert "31.02.2026 no existe" in ((await lucia.next_message()).text or "")
    await lucia.send("x" * 600)
    assert "demasiado largo" in ((await lucia.next_message()).text or "")
    assert await stored_treatments(bot_database, 2002) == [("botox", date(2026, 11, 23))]
    assert_buttons_fit(lucia)
