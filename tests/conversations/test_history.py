"""/history end to end: pages, changing a date, deleting, and buttons that went stale or forged."""

from __future__ import annotations

from datetime import date, timedelta

from bot.clock import FakeClock
from bot.context import BotApp
from rules import Procedure
from sandbox import Sandbox
from sandbox.records import BotMessage
from sandbox.users import SandboxUser
from storage.database import Database
from storage.records import Treatment
from tests.conversations.helpers import (
    assert_buttons_fit,
    expire_conversation,
    log_directly,
    onboard,
    pending_reminder_keys,
    press_and_wait_for_edit,
    stored_treatments,
)

BOTOX_DAY = date(2026, 11, 20)


async def _history_with_botox(
    user: SandboxUser, database: Database, clock: FakeClock
) -> tuple[Treatment, BotMessage]:
    await onboard(user)
    treatment = await log_directly(database, user.id, Procedure.BOTOX, BOTOX_DAY, clock.now())
    await user.send("/history")
    return treatment, await user.next_message()


async def _open_entry(user: SandboxUser, page: BotMessage) -> BotMessage:
    return await press_and_wait_for_edit(user, page, "Botox · Fri, 20 Nov 2026")


async def test_history_lists_entries_newest_first_five_a_page(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    first = date(2026, 1, 5)
    for week in range(7):
        procedure = Procedure.BOTOX if week % 2 else Procedure.MICRONEEDLING
        await log_directly(
            bot_database, 1001, procedure, first + timedelta(weeks=week * 5), clock.now()
        )
    await ana.send("/history")
    page = await ana.next_message()
    text = page.text or ""
    assert text.startswith("🗂 Your treatments (1 of 2)")
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    assert lines == [
        "• Microneedling on Mon, 3 Aug 2026 (done)",
        "• Botox on Mon, 29 Jun 2026 (done)",
        "• Microneedling on Mon, 25 May 2026 (done)",
        "• Botox on Mon, 20 Apr 2026 (done)",
        "• Microneedling on Mon, 16 Mar 2026 (done)",
    ]
    assert page.button_texts[-3:] == [" ", "1/2", "▶"]
    page = await press_and_wait_for_edit(ana, page, "▶")
    assert (page.text or "").startswith("🗂 Your treatments (2 of 2)")
    assert "• Botox on Mon, 9 Feb 2026 (done)\n• Microneedling on Mon, 5 Jan 2026 (done)" in (
        page.text or ""
    )
    assert page.button_texts[-3:] == ["◀", "2/2", " "]
    page = await press_and_wait_for_edit(ana, page, "◀")
    assert (page.text or "").startswith("🗂 Your treatments (1 of 2)")
    # A page past the end (entries deleted meanwhile) shows the last one.
    page = await press_and_wait_for_edit(ana, page, data="hi:p:9")
    assert (page.text or "").startswith("🗂 Your treatments (2 of 2)")
    assert_buttons_fit(ana)


async def test_an_empty_history_says_how_to_log(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("/history")
    page = await ana.next_message()
    assert "no treatments logged yet" in (page.text or "")
    assert page.buttons == []


async def test_changing_a_date_from_the_calendar_saves_it_and_replans(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    _treatment, page = await _history_with_botox(ana, bot_database, clock)
    before = await pending_reminder_keys(bot_database, 1001)
    entry = await _open_entry(ana, page)
    assert (entry.text or "").startswith("Botox on Fri, 20 Nov 2026 (done)")
    assert entry.button_texts == ["📅 Change date", "🗑 Delete", "◀ Back"]
    calendar = await press_and_wait_for_edit(ana, entry, "📅 Change date")
    assert "New date for Botox on Fri, 20 Nov 2026?" in (calendar.text or "")
    assert "November 2026" in calendar.button_texts
    moved = await press_and_wait_for_edit(ana, calendar, "17")
    assert (moved.text or "").startswith("✅ Moved: Botox on Tue, 17 Nov 2026 (done).")
    assert "Your reminders are updated." in (moved.text or "")
    assert moved.button_texts == ["◀ Back to history"]
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 17))]
    after = await pending_reminder_keys(bot_database, 1001)
    assert "may_book:microneedling:20261204" in before
    assert "may_book:microneedling:20261201" in after
    assert "may_book:microneedling:20261204" not in after
    page = await press_and_wait_for_edit(ana, moved, "◀ Back to history")
    assert "Botox on Tue, 17 Nov 2026 (done)" in (page.text or "")
    assert_buttons_fit(ana)


async def test_changing_a_date_by_typing_it(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    _treatment, page = await _history_with_botox(ana, bot_database, clock)
    entry = await _open_entry(ana, page)
    calendar = await press_and_wait_for_edit(ana, entry, "📅 Change date")
    await ana.send("30.02.2026")
    assert "30.02.2026 does not exist" in ((await ana.next_message()).text or "")
    await ana.send("someday")
    assert "couldn't read that as a date" in ((await ana.next_message()).text or "")
    await ana.send("1999-01-01")
    assert "I can only keep dates from" in ((await ana.next_message()).text or "")
    await ana.send("3 days ago")
    moved = await ana.next_message()
    assert (moved.text or "").startswith("✅ Moved: Botox on Sat, 21 Nov 2026 (done).")
    assert calendar.buttons == []
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 21))]


async def test_a_new_date_that_breaks_a_rule_is_explained_and_moved_only_when_insisted(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 30), clock.now())
    await log_directly(bot_database, 1001, Procedure.MICRONEEDLING, BOTOX_DAY, clock.now())
    await ana.send("/history")
    page = await ana.next_message()
    entry = await press_and_wait_for_edit(ana, page, "Microneedling · Fri, 20 Nov 2026")
    calendar = await press_and_wait_for_edit(ana, entry, "📅 Change date")
    question = await press_and_wait_for_edit(ana, calendar, "27")
    text = question.text or ""
    assert text.startswith("Move Microneedling on Fri, 20 Nov 2026 to Fri, 27 Nov 2026?")
    assert "only 3 days before your Botox on 30 Nov" in text
    assert "at least 7 days before Botox" in text
    assert question.button_texts == ["⚠️ Save anyway", "Cancel"]
    entry = await press_and_wait_for_edit(ana, question, "Cancel")
    assert (entry.text or "").startswith("Microneedling on Fri, 20 Nov 2026 (done)")
    assert ("microneedling", BOTOX_DAY) in await stored_treatments(bot_database, 1001)
    calendar = await press_and_wait_for_edit(ana, entry, "📅 Change date")
    question = await press_and_wait_for_edit(ana, calendar, "27")
    moved = await press_and_wait_for_edit(ana, question, "⚠️ Save anyway")
    assert (moved.text or "").startswith("✅ Moved: Microneedling on Fri, 27 Nov 2026 (planned).")
    assert ("microneedling", date(2026, 11, 27)) in await stored_treatments(bot_database, 1001)


async def test_deleting_asks_first_and_keep_changes_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    _treatment, page = await _history_with_botox(ana, bot_database, clock)
    entry = await _open_entry(ana, page)
    question = await press_and_wait_for_edit(ana, entry, "🗑 Delete")
    assert question.text == "Delete Botox on Fri, 20 Nov 2026?"
    assert question.button_texts == ["🗑 Yes, delete", "Keep"]
    entry = await press_and_wait_for_edit(ana, question, "Keep")
    assert (entry.text or "").startswith("Botox on Fri, 20 Nov 2026 (done)")
    assert await stored_treatments(bot_database, 1001) == [("botox", BOTOX_DAY)]
    question = await press_and_wait_for_edit(ana, entry, "🗑 Delete")
    deleted = await press_and_wait_for_edit(ana, question, "🗑 Yes, delete")
    assert (deleted.text or "").startswith("🗑 Deleted: Botox on Fri, 20 Nov 2026.")
    assert await stored_treatments(bot_database, 1001) == []
    assert await pending_reminder_keys(bot_database, 1001) == [], "its reminders are cancelled"


async def test_yes_delete_pressed_twice_deletes_once_and_the_second_is_out_of_date(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    _treatment, page = await _history_with_botox(ana, bot_database, clock)
    entry = await _open_entry(ana, page)
    question = await press_and_wait_for_edit(ana, entry, "🗑 Delete")
    await ana.press(question, "🗑 Yes, delete")
    await ana.press(question, "🗑 Yes, delete")
    stale = await ana.next_message()
    assert "This is out of date" in (stale.text or "")
    assert "Nothing was changed" in (stale.text or "")
    assert "Deleted" in (question.text or "")
    await ana.wait_until_idle(quiet=0.1)
    assert ana.answered_callbacks[-1].text == "This is out of date."
    assert await stored_treatments(bot_database, 1001) == []


async def test_a_button_from_an_old_message_whose_entry_was_deleted_is_out_of_date(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    _treatment, old_page = await _history_with_botox(ana, bot_database, clock)
    await log_directly(bot_database, 1001, Procedure.MICRONEEDLING, date(2026, 1, 5), clock.now())
    await ana.send("/history")
    page = await ana.next_message()
    entry = await _open_entry(ana, page)
    question = await press_and_wait_for_edit(ana, entry, "🗑 Delete")
    await press_and_wait_for_edit(ana, question, "🗑 Yes, delete")
    # The first /history still shows a button for the deleted Botox.
    await ana.press(old_page, "Botox · Fri, 20 Nov 2026")
    answer = await ana.next_message()
    assert "This is out of date" in (answer.text or "")
    assert "/history shows what is there now" in (answer.text or "")
    assert await stored_treatments(bot_database, 1001) == [("microneedling", date(2026, 1, 5))]


async def test_forged_or_replayed_data_from_another_chat_cannot_touch_anothers_entry(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, ben = sandbox.user(1001), sandbox.user(1002)
    treatment, _page = await _history_with_botox(ana, bot_database, clock)
    ana_reminders = await pending_reminder_keys(bot_database, 1001)
    await onboard(ben)
    await log_directly(bot_database, 1002, Procedure.MICRONEEDLING, BOTOX_DAY, clock.now())
    await ben.send("/history")
    ben_page = await ben.next_message()
    ana_id = treatment.id
    forged = [
        f"hi:e:{ana_id}:0",
        f"hi:c:{ana_id}:0",
        f"hi:m:{ana_id}:0:202612",
        f"hi:d:{ana_id}:0:20261201",
        f"hi:f:{ana_id}:0:20261201",
        f"hi:x:{ana_id}:0",
        f"hi:y:{ana_id}:0",
    ]
    for data in forged:
        await ben.press_data(ben_page, data)
        answer = await ben.next_message()
        assert "This is out of date" in (answer.text or ""), data
        assert "Botox" not in (answer.text or ""), "nothing of Ana's is shown to Ben"
    await ben.wait_until_idle(quiet=0.1)
    assert [a.text for a in ben.answered_callbacks][-len(forged) :] == [
        "This is out of date."
    ] * len(forged)
    assert "Microneedling" in (ben_page.text or ""), "Ben's own page was not replaced"
    assert await stored_treatments(bot_database, 1001) == [("botox", BOTOX_DAY)]
    assert await pending_reminder_keys(bot_database, 1001) == ana_reminders
    assert await stored_treatments(bot_database, 1002) == [("microneedling", BOTOX_DAY)]
    assert ana.skip_messages() == 0, "Ana was sent nothing"


async def test_moving_and_deleting_leave_a_second_patients_data_untouched(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, ben = sandbox.user(1001), sandbox.user(1002)
    await onboard(ben)
    await log_directly(bot_database, 1002, Procedure.BOTOX, BOTOX_DAY, clock.now())
    ben_reminders = await pending_reminder_keys(bot_database, 1002)
    _treatment, page = await _history_with_botox(ana, bot_database, clock)
    assert "(1 of 1)" in (page.text or ""), "Ana's history holds only her own entry"
    entry = await _open_entry(ana, page)
    calendar = await press_and_wait_for_edit(ana, entry, "📅 Change date")
    moved = await press_and_wait_for_edit(ana, calendar, "18")
    page = await press_and_wait_for_edit(ana, moved, "◀ Back to history")
    entry = await press_and_wait_for_edit(ana, page, "Botox · Wed, 18 Nov 2026")
    question = await press_and_wait_for_edit(ana, entry, "🗑 Delete")
    await press_and_wait_for_edit(ana, question, "🗑 Yes, delete")
    assert await stored_treatments(bot_database, 1001) == []
    assert await stored_treatments(bot_database, 1002) == [("botox", BOTOX_DAY)]
    assert await pending_reminder_keys(bot_database, 1002) == ben_reminders
    assert ben.skip_messages() == 0


async def test_malformed_history_data_is_out_of_date(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    treatment, page = await _history_with_botox(ana, bot_database, clock)
    for data in (
        "hi:e:abc:0",
        f"hi:e:{treatment.id}",
        f"hi:y:{treatment.id}:-1",
        f"hi:d:{treatment.id}:0:20261340",
        f"hi:m:{treatment.id}:0:2026",
        "hi:p:x",
        "hi:zz",
        "hi",
        f"hi:y:{'9' * 40}:0",
    ):
        await ana.press_data(page, data)
        assert "This is out of date" in ((await ana.next_message()).text or ""), data
    assert await stored_treatments(bot_database, 1001) == [("botox", BOTOX_DAY)]


async def test_cancel_while_changing_a_date_changes_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    _treatment, page = await _history_with_botox(ana, bot_database, clock)
    entry = await _open_entry(ana, page)
    calendar = await press_and_wait_for_edit(ana, entry, "📅 Change date")
    await ana.send("/cancel")
    assert (await ana.next_message()).text == "Cancelled, nothing was saved."
    assert calendar.buttons == []
    await ana.send("22.11.2026")
    assert "didn't catch a treatment" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == [("botox", BOTOX_DAY)]


async def test_a_date_change_left_open_past_the_timeout_ends_cleanly(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    _treatment, page = await _history_with_botox(ana, bot_database, clock)
    entry = await _open_entry(ana, page)
    calendar = await press_and_wait_for_edit(ana, entry, "📅 Change date")
    await expire_conversation(bot_app, "history", ana)
    assert "stopped waiting, so nothing was changed" in ((await ana.next_message()).text or "")
    assert calendar.buttons == []
    await ana.send("22.11.2026")
    assert "didn't catch a treatment" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == [("botox", BOTOX_DAY)]


async def test_a_typed_date_answers_the_question_asked_last(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, BOTOX_DAY, clock.now())
    # /log asks for a date, but the patient goes to /history and changes a date there.
    await ana.send("/log")
    await press_and_wait_for_edit(ana, await ana.next_message(), "Microneedling")
    await ana.send("/history")
    entry = await _open_entry(ana, await ana.next_message())
    await press_and_wait_for_edit(ana, entry, "📅 Change date")
    await ana.send("18.11.2026")
    assert "Moved: Botox on Wed, 18 Nov 2026" in ((await ana.next_message()).text or "")
    assert await stored_treatments(bot_database, 1001) == [("botox", date(2026, 11, 18))]


async def test_history_before_consent_asks_to_start(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    stranger = sandbox.user(3003)
    await stranger.send("/history")
    assert "send /start first" in ((await stranger.next_message()).text or "")


async def test_history_in_spanish(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    await log_directly(bot_database, 2002, Procedure.BOTOX, BOTOX_DAY, clock.now())
    await lucia.send("/history")
    page = await lucia.next_message()
    assert (page.text or "").startswith("🗂 Tus tratamientos (1 de 1)")
    entry = await press_and_wait_for_edit(lucia, page, "Bótox · vie, 20 nov 2026")
    assert entry.button_texts == ["📅 Cambiar fecha", "🗑 Borrar", "◀ Volver"]
    question = await press_and_wait_for_edit(lucia, entry, "🗑 Borrar")
    assert question.text == "¿Borrar Bótox el vie, 20 nov 2026?"
    deleted = await press_and_wait_for_edit(lucia, question, "🗑 Sí, borrar")
    assert (deleted.text or "").startswith("🗑 Borrado: Bótox el vie, 20 nov 2026.")
    assert_buttons_fit(lucia)
