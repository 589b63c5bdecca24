"""A reminder's whole life with the real Application, the sandbox and the fake clock.

The patient logs Botox on 23 Nov 2026 (Europe/Berlin, reminders at 09:00, heads-up two days
ahead): microneedling becomes possible on Mon 7 Dec, so a heads-up is due on Sat 5 Dec at
09:00 and "you may now book" on Mon 7 Dec at 09:00.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.clock import FakeClock
from bot.context import BotApp
from rules import Procedure
from sandbox import BotMessage, Sandbox
from storage.database import Database
from storage.records import OutboxKind, OutboxState, Patient
from tests.delivery.helpers import advance_to, local, log, new_patient, pending_keys, rows

BOTOX_DAY = date(2026, 11, 23)
HEADS_UP = local(date(2026, 12, 5), 9)
MAY_BOOK = local(date(2026, 12, 7), 9)


async def _logged(
    database: Database, sandbox: Sandbox, clock: FakeClock, user_id: int = 1001
) -> Patient:
    patient = await new_patient(database, sandbox, user_id, now=clock.now())
    await log(database, patient, Procedure.BOTOX, BOTOX_DAY, clock.now())
    return patient


async def test_from_logging_to_booking_each_reminder_arrives_on_its_day_once(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await _logged(bot_database, sandbox, clock)
    ana = sandbox.user(1001)
    assert await advance_to(clock, bot_app, HEADS_UP - timedelta(minutes=1)) == 0
    assert await advance_to(clock, bot_app, HEADS_UP) == 1
    heads_up = await ana.next_message()
    assert "Microneedling will be possible from Mon, 7 Dec 2026" in (heads_up.text or "")
    assert "Because of your Botox on 23 Nov" in (heads_up.text or "")
    assert "confirm the timing with your provider" in (heads_up.text or "")
    assert await advance_to(clock, bot_app, MAY_BOOK) == 1
    may_book = await ana.next_message()
    assert "You may now book microneedling" in (may_book.text or "")
    assert may_book.button_texts == ["✅ Booked", "⏰ Remind me in 3 days", "🙅 Not for me"]

    await ana.press(may_book, "✅ Booked")
    question = await ana.next_message()
    assert "On which date is your microneedling booked?" in (question.text or "")
    await ana.send("20 Dec")
    saved = await ana.next_message()
    assert "Saved: microneedling planned for Sun, 20 Dec 2026" in (saved.text or "")
    assert "I'll remind you on Fri, 18 Dec 2026" in (saved.text or "")
    assert await micro_keys(bot_database, patient) == ["before_planned:microneedling:20261220"]

    assert await advance_to(clock, bot_app, local(date(2026, 12, 18), 9)) == 1
    before = await ana.next_message()
    assert "Your microneedling is planned for Sun, 20 Dec 2026" in (before.text or "")
    assert before.button_texts == []
    await ana.wait_until_idle()
    assert len(ana.messages) == 5  # heads-up, may-book, question, saved, before: no more


async def test_booked_refuses_a_past_date_and_asks_again(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    await _logged(bot_database, sandbox, clock)
    ana = sandbox.user(1001)
    await advance_to(clock, bot_app, MAY_BOOK)
    may_book = await ana.next_message()
    await ana.press(may_book, "✅ Booked")
    await ana.next_message()
    await ana.send("1 Dec")
    assert "That date has passed" in ((await ana.next_message()).text or "")
    await ana.send("soonish")
    assert "couldn't read that as a date" in ((await ana.next_message()).text or "")
    await ana.send("/cancel")
    assert "nothing was saved" in ((await ana.next_message()).text or "")


async def test_remind_me_in_3_days_comes_back_once_however_often_pressed(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await _logged(bot_database, sandbox, clock)
    ana = sandbox.user(1001)
    await advance_to(clock, bot_app, MAY_BOOK)
    may_book = await ana.next_message()
    await ana.press(may_book, "⏰ Remind me in 3 days")
    assert "remind you again on Thu, 10 Dec 2026" in ((await ana.next_message()).text or "")
    await ana.press(may_book, "⏰ Remind me in 3 days")
    assert "Already noted" in ((await ana.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        notices = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.NOTICE)
    assert [n.dedupe_key for n in notices] == [f"snooze:{may_book_id(may_book)}"]
    assert notices[0].due_at == local(date(2026, 12, 10), 9)

    assert await advance_to(clock, bot_app, local(date(2026, 12, 10), 9)) == 1
    again = await ana.next_message()
    assert "As you asked, here it is again" in (again.text or "")
    assert "You may now book microneedling" in (again.text or "")
    assert again.button_texts == ["✅ Booked", "⏰ Remind me in 3 days", "🙅 Not for me"]


async def test_remind_me_in_3_days_pressed_again_after_it_came_back_schedules_another(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await _logged(bot_database, sandbox, clock)
    ana = sandbox.user(1001)
    await advance_to(clock, bot_app, MAY_BOOK)
    may_book = await ana.next_message()
    await ana.press(may_book, "⏰ Remind me in 3 days")
    await ana.next_message()
    assert await advance_to(clock, bot_app, local(date(2026, 12, 10), 9)) == 1
    assert "As you asked, here it is again" in ((await ana.next_message()).text or "")

    # The first reminder's button again, now that its snooze went out: a new one is set.
    await ana.press(may_book, "⏰ Remind me in 3 days")
    answer = await ana.next_message()
    assert "OK, I'll remind you again on Sun, 13 Dec 2026" in (answer.text or "")
    await ana.press(may_book, "⏰ Remind me in 3 days")
    assert "Already noted" in ((await ana.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        notices = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.NOTICE)
    assert [n.dedupe_key for n in notices] == [f"snooze:{may_book_id(may_book)}:2"]
    assert notices[0].due_at == local(date(2026, 12, 13), 9)
    assert await advance_to(clock, bot_app, local(date(2026, 12, 13), 9)) == 1
    again = await ana.next_message()
    assert "As you asked, here it is again" in (again.text or "")
    assert "You may now book microneedling" in (again.text or "")


async def micro_keys(database: Database, patient: Patient) -> list[str]:
    """The patient's pending microneedling reminder keys (Botox re-treatment aside)."""
    return [k for k in await pending_keys(database, patient) if "microneedling" in k]


def may_book_id(message: BotMessage) -> int:
    """The outbox id in the message's Booked button."""
    data = message.buttons[0][0].data or ""
    return int(data.rsplit(":", 1)[1])


async def test_not_for_me_stops_the_chain_and_a_replan_does_not_bring_it_back(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await _logged(bot_database, sandbox, clock)
    ana = sandbox.user(1001)
    await advance_to(clock, bot_app, HEADS_UP)
    heads_up = await ana.next_message()
    heads_up_id = may_book_id(heads_up)
    assert await micro_keys(bot_database, patient) == ["may_book:microneedling:20261207"]
    await ana.press(heads_up, "🙅 Not for me")
    answer = await ana.next_message()
    assert "no more reminders about microneedling from Mon, 7 Dec 2026" in (answer.text or "")
    assert heads_up.button_texts == []  # the buttons went with the chain
    assert await micro_keys(bot_database, patient) == []
    # Anything that re-plans (here: a new reminder hour) leaves the chain stopped.
    from bot.usecases.settings import change_settings

    await change_settings(bot_database, patient.id, clock.now(), reminder_hour=10)
    assert await micro_keys(bot_database, patient) == []
    assert await advance_to(clock, bot_app, MAY_BOOK + timedelta(days=1)) == 0
    await ana.press_data(heads_up.message_id, f"rm:x:{heads_up_id}")
    repeat = await ana.next_message()
    assert "no more reminders" in (repeat.text or "")


async def test_a_new_date_for_the_procedure_is_a_new_chain_and_is_reminded(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await _logged(bot_database, sandbox, clock)
    ana = sandbox.user(1001)
    await advance_to(clock, bot_app, HEADS_UP)
    await ana.press(await ana.next_message(), "🙅 Not for me")
    await ana.next_message()
    # A later Botox moves microneedling's date: that is a new chain.
    await log(bot_database, patient, Procedure.BOTOX, date(2026, 12, 5), clock.now())
    assert await micro_keys(bot_database, patient) == [
        "heads_up:microneedling:20261219",
        "may_book:microneedling:20261219",
    ]


async def test_buttons_of_another_patient_or_forged_ids_change_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    owner = await _logged(bot_database, sandbox, clock)
    await _logged(bot_database, sandbox, clock, user_id=2002)
    await advance_to(clock, bot_app, MAY_BOOK)
    mine = await sandbox.user(1001).next_message()
    intruder = sandbox.user(2002)
    await intruder.next_message()
    intruder.skip_messages()
    target = may_book_id(mine)
    for data in (f"rm:x:{target}", f"rm:s:{target}", f"rm:b:{target}", "rm:x:nope", "rm:zz:1"):
        await intruder.press_data(intruder.messages[-1].message_id, data)
    await intruder.wait_until_idle()
    answers = [a.text for a in intruder.answered_callbacks]
    assert answers == ["This reminder is no longer available."] * 5
    async with bot_database.unit_of_work() as uow:
        assert await uow.dismissals.for_patient(owner.id) == set()
        assert await uow.outbox.pending_for_patient(owner.id, kind=OutboxKind.NOTICE) == []
    states = {m.dedupe_key: m.state for m in await rows(bot_database, owner.id)}
    assert states["may_book:microneedling:20261207"] is OutboxState.SENT


async def test_a_spanish_patient_gets_the_reminder_and_buttons_in_spanish(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await new_patient(bot_database, sandbox, 3003, now=clock.now(), language="es")
    await log(bot_database, patient, Procedure.BOTOX, BOTOX_DAY, clock.now())
    await advance_to(clock, bot_app, MAY_BOOK)
    message = await sandbox.user(3003).next_message()
    assert "Ya puedes reservar microneedling" in (message.text or "")
    assert "lun, 7 dic 2026" in (message.text or "")
    assert message.button_texts == [
        "✅ Reservado",
        "⏰ Recuérdamelo en 3 días",
        "🙅 No me interesa",
    ]


async def test_a_clinic_member_sees_the_clinic_contact_and_its_booking_link(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await _logged(bot_database, sandbox, clock)
    async with bot_database.unit_of_work() as uow:
        clinic = await uow.clinics.create(
            "Clínica <Sol>",
            now=clock.now(),
            timezone="Europe/Berlin",
            contact="+34 600 111 222",
            booking_url="https://sol.example/book",
        )
        await uow.clinics.join(patient.id, clinic.id, now=clock.now())
        await uow.commit()
    await advance_to(clock, bot_app, MAY_BOOK)
    message = await sandbox.user(1001).next_message()
    assert "Clínica <Sol>" in (message.text or "")
    assert "Contact: +34 600 111 222" in (message.text or "")
    assert message.buttons[-2][0] == ("📅 Book with Clínica <Sol>", "https://sol.example/book")
    # A member can also ask the clinic from the reminder.
    assert message.buttons[-1][0] == ("💬 Ask my clinic", "qa:a")
    await sandbox.user(1001).press(message, "💬 Ask my clinic")
    prompt = await sandbox.user(1001).next_message()
    assert "What would you like to ask Clínica <Sol>?" in (prompt.text or ""), prompt.text


async def test_booked_offers_a_calendar_whose_day_buttons_log_the_date(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await _logged(bot_database, sandbox, clock)
    ana = sandbox.user(1001)
    await advance_to(clock, bot_app, HEADS_UP)
    await ana.next_message()
    await advance_to(clock, bot_app, MAY_BOOK)
    await ana.press(await ana.next_message(), "✅ Booked")
    question = await ana.next_message()
    assert "December 2026" in question.button_texts
    await ana.press(question, "▶")
    await ana.wait_until_idle()
    assert "January 2027" in question.button_texts
    await ana.press(question, "5")
    saved = await ana.next_message()
    assert "Saved: microneedling planned for Tue, 5 Jan 2027" in (saved.text or "")
    assert question.button_texts == []
    assert await micro_keys(bot_database, patient) == ["before_planned:microneedling:20270105"]


async def test_nothing_is_sent_after_stop_or_after_the_patient_blocked_the_bot(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    await _logged(bot_database, sandbox, clock, user_id=1001)
    await _logged(bot_database, sandbox, clock, user_id=2002)
    stopper, blocker = sandbox.user(1001), sandbox.user(2002)
    await stopper.send("/stop")
    await stopper.next_message()
    await blocker.block()  # Telegram tells the bot with a my_chat_member update
    await sandbox.wait_until_idle()
    async with bot_database.unit_of_work() as uow:
        for user_id in (1001, 2002):
            patient = await uow.patients.get_by_user_id(user_id)
            assert patient is not None
            assert await uow.outbox.pending_for_patient(patient.id) == []
    assert await advance_to(clock, bot_app, MAY_BOOK + timedelta(days=120)) == 0
    assert [m.text for m in stopper.messages[1:]] == []
    assert blocker.messages == []


async def test_booked_after_a_reminder_counts_for_the_members_clinic_and_no_other(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = await _logged(bot_database, sandbox, clock)
    async with bot_database.unit_of_work() as uow:
        clinic = await uow.clinics.create("Clínica Sol", now=clock.now(), timezone="Europe/Berlin")
        other = await uow.clinics.create("Elsewhere", now=clock.now(), timezone="Europe/Berlin")
        await uow.clinics.join(patient.id, clinic.id, now=clock.now())
        await uow.commit()
    ana = sandbox.user(1001)
    await advance_to(clock, bot_app, MAY_BOOK)
    await ana.press(await ana.next_message(), "✅ Booked")
    await ana.next_message()
    await ana.send("20 Dec")
    await ana.next_message()
    async with bot_database.unit_of_work(read_only=True) as uow:
        mine = await uow.dashboard.figures(clinic.id, now=clock.now())
        theirs = await uow.dashboard.figures(other.id, now=clock.now())
    assert (mine.booked_30d, mine.reminders_30d) == (1, 1)
    assert (theirs.booked_30d, theirs.reminders_30d) == (0, 0)
