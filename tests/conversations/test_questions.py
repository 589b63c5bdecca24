"""Questions to the clinic end to end: /ask, the copies in staff chats, the answers, the reminder.

Clinic A has Ana (owner) and Alba; clinic B has Bruno (see `clinic_world`). Every staff
chat is a sandbox chat, so "nothing reached B" is checked on what Bruno's chat received.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.context import BotApp
from bot.jobs.question_reminders import QUESTION_REMINDER_JOB
from bot.usecases.clinics import invite_payload, join_payload
from bot.usecases.questions import ask
from bot.usecases.team import remove_member
from rules import Procedure
from sandbox import Sandbox
from sandbox.records import BotMessage
from sandbox.users import SandboxUser
from storage.database import Database
from storage.models import QuestionRelayRow, QuestionRow
from storage.records import Question
from tests.conversations.clinic_world import World, become_staff, build_world
from tests.conversations.helpers import (
    expire_conversation,
    log_directly,
    onboard,
    patient_of,
    wait_for_edit,
)
from tests.eventually import eventually

QUESTION = "Can I do microneedling two weeks after my Botox?"


@pytest.fixture
async def world(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> World:
    """Both clinics: Ana owns A, Alba is A's staff, Bruno owns B; three A and two B members."""
    return await build_world(sandbox, bot_database, clock.now(), a_members=2, b_members=1)


async def _ask(
    user: SandboxUser, text: str = QUESTION, choice: str = "✉️ Send without it"
) -> BotMessage:
    """/ask, the question, then one of the send buttons; the bot's last answer."""
    await user.send("/ask")
    prompt = await user.next_message()
    assert "What would you like to ask" in (prompt.text or ""), prompt.text
    await user.send(text)
    confirm = await user.next_message()
    assert "Send this question to Clínica Aurora?" in (confirm.text or ""), confirm.text
    assert confirm.button_texts == [
        "📋 Send with my treatment history",
        "✉️ Send without it",
        "Cancel",
    ]
    await user.press(confirm, choice)
    return await user.next_message()


async def _member_number(database: Database, user: SandboxUser) -> int:
    patient = await patient_of(database, user.id)
    async with database.unit_of_work() as uow:
        membership = await uow.clinics.active_membership(patient.id)
    assert membership is not None
    return membership.id


async def _stored(database: Database) -> tuple[int, int]:
    """How many questions and staff copies are stored."""
    async with database.unit_of_work() as uow:
        questions = await uow.session.scalar(select(func.count()).select_from(QuestionRow))
        relays = await uow.session.scalar(select(func.count()).select_from(QuestionRelayRow))
    return int(questions or 0), int(relays or 0)


async def _stored_is(database: Database, expected: tuple[int, int]) -> bool:
    return await _stored(database) == expected


async def _question_of(database: Database, user: SandboxUser) -> Question:
    patient = await patient_of(database, user.id)
    async with database.unit_of_work() as uow:
        (question,) = await uow.questions.for_patient(patient.id)
    return question


async def _run_reminder_job(application: BotApp) -> None:
    """Run the repeating reminder job now, as its next tick would (the fake clock says when)."""
    assert application.job_queue is not None
    (job,) = application.job_queue.get_jobs_by_name(QUESTION_REMINDER_JOB)
    await job.run(application)


def _chat_count(sandbox: Sandbox, *users: SandboxUser) -> int:
    return sum(len(sandbox.messages(user.chat_id)) for user in users)


async def test_a_question_from_a_member_of_clinic_a_reaches_a_staff_and_no_one_at_clinic_b(
    world: World, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    patient = world.a_patients[0]
    await log_directly(bot_database, patient.id, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    at_b = _chat_count(sandbox, world.bruno, *world.b_patients)
    number = await _member_number(bot_database, patient)

    sent = await _ask(patient, choice="📋 Send with my treatment history")

    assert "Sent to Clínica Aurora. Their answer will come here." in (sent.text or "")
    for staff in (world.ana, world.alba):
        copy = await staff.next_message()
        text = copy.text or ""
        assert f"Question from PatientA0, member #{number}" in text, text
        assert QUESTION in text
        assert "Treatment history (newest first):" in text
        assert "Botox on Fri, 20 Nov 2026 (done)" in text
        assert copy.button_texts == ["↩️ Reply"]
    assert _chat_count(sandbox, world.bruno, *world.b_patients) == at_b
    assert await eventually(lambda: _stored_is(bot_database, (1, 2)), what="two copies stored")


async def test_without_the_history_the_staff_see_that_it_was_not_shared(
    world: World, bot_database: Database, clock: FakeClock
) -> None:
    patient = world.a_patients[0]
    await log_directly(bot_database, patient.id, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    await _ask(patient)
    copy = await world.ana.next_message()
    assert "Treatment history: not shared." in (copy.text or "")
    assert "20 Nov" not in (copy.text or "")


async def test_a_telegram_reply_brings_the_answer_back_and_the_others_see_who_answered(
    world: World, bot_database: Database
) -> None:
    patient = world.a_patients[0]
    await _ask(patient)
    anas, albas = await world.ana.next_message(), await world.alba.next_message()
    since = world.alba.version

    await world.ana.send("Yes, two weeks after is fine. See you soon!", reply_to=anas)

    assert "Sent to the patient, from Clínica Aurora" in (
        (await world.ana.next_message()).text or ""
    )
    answer = await patient.next_message()
    text = answer.text or ""
    assert "Answer from Clínica Aurora" in text, text
    assert "Yes, two weeks after is fine. See you soon!" in text
    assert QUESTION in text
    edited = await wait_for_edit(world.alba, albas, since)
    assert "Answered by Ana" in (edited.text or ""), edited.text
    assert edited.buttons == []

    # Alba's late reply to her copy is refused; the patient gets nothing more.
    await world.alba.send("Also: drink water.", reply_to=albas)
    refused = await world.alba.next_message()
    assert "already answered by Ana" in (refused.text or ""), refused.text
    async with bot_database.unit_of_work() as uow:
        (question,) = await uow.questions.for_patient(
            (await patient_of(bot_database, patient.id)).id
        )
    assert question.answer == "Yes, two weeks after is fine. See you soon!"
    assert question.answered_by == world.ana.id


async def test_the_reply_button_brings_the_answer_back(world: World) -> None:
    patient = world.a_patients[1]
    await _ask(patient)
    anas, albas = await world.ana.next_message(), await world.alba.next_message()
    since = world.ana.version

    await world.alba.press(albas, "↩️ Reply")
    prompt = await world.alba.next_message()
    assert "Write your answer to member #" in (prompt.text or ""), prompt.text
    await world.alba.send("Please call us to book.")

    assert "Sent to the patient" in ((await world.alba.next_message()).text or "")
    answer = await patient.next_message()
    assert "Please call us to book." in (answer.text or "")
    edited = await wait_for_edit(world.ana, anas, since)
    assert "Answered by Alba" in (edited.text or ""), edited.text
    # The Reply button's data pressed again after the answer: refused, nothing asked.
    await world.ana.press_data(anas, anas.every_button[0].data or "")
    assert "already answered by Alba" in ((await world.ana.next_message()).text or "")


async def test_the_unanswered_reminder_fires_once(
    world: World, bot_app: BotApp, sandbox: Sandbox, clock: FakeClock
) -> None:
    patient = world.a_patients[0]
    await _ask(patient)
    await world.ana.next_message()
    await world.alba.next_message()
    at_b = _chat_count(sandbox, world.bruno, *world.b_patients)

    clock.advance(timedelta(hours=23, minutes=59))
    await _run_reminder_job(bot_app)
    assert await world.ana.wait_for_changes(world.ana.version, wait=0.2) == []

    clock.advance(timedelta(minutes=2))
    await _run_reminder_job(bot_app)
    for staff in (world.ana, world.alba):
        reminder = await staff.next_message()
        assert "Still unanswered" in (reminder.text or ""), reminder.text
        assert QUESTION in (reminder.text or "")

    clock.advance(timedelta(days=3))
    await _run_reminder_job(bot_app)
    await _run_reminder_job(bot_app)
    for staff in (world.ana, world.alba):
        assert sum("Still unanswered" in (m.text or "") for m in staff.messages) == 1
    assert _chat_count(sandbox, world.bruno, *world.b_patients) == at_b

    # A reply to the reminder answers the question too.
    reminder = next(m for m in world.ana.messages if "Still unanswered" in (m.text or ""))
    await world.ana.send("Sorry for the wait: yes.", reply_to=reminder)
    assert "Sent to the patient" in ((await world.ana.next_message()).text or "")
    assert "Sorry for the wait: yes." in ((await patient.next_message()).text or "")


async def test_a_patient_without_a_clinic_is_told_how_to_join_one(
    world: World, bot_database: Database
) -> None:
    outsider = world.outsider
    assert outsider is not None
    await outsider.send("/ask")
    answer = await outsider.next_message()
    assert "you are not linked to one yet" in (answer.text or ""), answer.text
    assert "join link" in (answer.text or "")
    await outsider.send("/next")
    assert "💬 Ask my clinic" not in (await outsider.next_message()).button_texts
    assert await _stored(bot_database) == (0, 0)


async def test_the_ask_button_under_next_opens_the_question(world: World) -> None:
    patient = world.a_patients[0]
    await patient.send("/next")
    outlook = await patient.next_message()
    assert "💬 Ask my clinic" in outlook.button_texts
    await patient.press(outlook, "💬 Ask my clinic")
    prompt = await patient.next_message()
    assert "What would you like to ask Clínica Aurora?" in (prompt.text or "")


async def test_a_question_too_long_and_the_sixth_of_a_day_are_refused_with_nothing_stored(
    world: World, bot_database: Database, clock: FakeClock
) -> None:
    patient = world.a_patients[0]
    await patient.send("/ask")
    await patient.next_message()
    await patient.send("x" * 1001)
    refused = await patient.next_message()
    assert "That is 1001 characters; a question can have at most 1000." in (refused.text or "")
    assert await _stored(bot_database) == (0, 0)
    await patient.send("/cancel")
    assert "not sent" in ((await patient.next_message()).text or "")

    stored = await patient_of(bot_database, patient.id)
    for index in range(5):
        asked = await ask(
            bot_database, stored, f"Question {index}", share_history=False, now=clock.now()
        )
        assert asked.kind == "asked"
    await patient.send("/ask")
    sixth = await patient.next_message()
    assert "You have already asked 5 questions today" in (sixth.text or ""), sixth.text
    assert (await _stored(bot_database))[0] == 5

    # Tomorrow (Berlin) the day's questions start again.
    clock.advance(timedelta(hours=15))
    await patient.send("/ask")
    assert "What would you like to ask" in ((await patient.next_message()).text or "")


async def test_export_holds_the_questions_and_delete_removes_them(
    world: World, bot_database: Database
) -> None:
    patient = world.a_patients[0]
    await _ask(patient)
    anas = await world.ana.next_message()
    await world.alba.next_message()
    await world.ana.send("Yes.", reply_to=anas)
    await world.ana.next_message()
    await patient.next_message()

    await patient.send("/export")
    exported = await patient.next_message()
    assert exported.document is not None
    document = json.loads(exported.document.content.decode())
    (question,) = document["questions"]
    assert question["question"] == QUESTION
    assert question["answer"] == "Yes."
    assert question["clinic_name"] == "Clínica Aurora"
    assert question["answered_by"] == "Ana"

    await patient.send("/delete")
    first = await patient.next_message()
    await patient.press(first, "Yes, delete")
    second = await wait_for_edit(patient, first, first.version)
    await patient.press(second, "Delete everything")
    await wait_for_edit(patient, second, second.version)
    assert await _stored(bot_database) == (0, 0)


async def test_a_removed_staff_members_reply_is_refused(
    world: World, bot_database: Database, clock: FakeClock
) -> None:
    patient = world.a_patients[0]
    await _ask(patient)
    await world.ana.next_message()
    albas = await world.alba.next_message()
    # A copy is recorded just after it is sent: a test reads faster than anyone types.
    await eventually(lambda: _stored_is(bot_database, (1, 2)), what="both copies stored")
    removal = await remove_member(
        bot_database, world.a.id, world.alba.id, world.ana.id, clock.now()
    )
    assert removal.kind == "done"

    await world.alba.send("I can answer that.", reply_to=albas)
    refused = await world.alba.next_message()
    assert "not staff of this question's clinic any more" in (refused.text or ""), refused.text
    await world.alba.press(albas, "↩️ Reply")
    assert "not staff" in ((await world.alba.next_message()).text or "")
    assert await patient.wait_for_changes(patient.version, wait=0.3) == []
    async with bot_database.unit_of_work() as uow:
        (question,) = await uow.questions.for_patient(
            (await patient_of(bot_database, patient.id)).id
        )
    assert question.answered_at is None


async def test_questions_in_spanish(
    world: World, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    marta = sandbox.user(504, first_name="Marta", language_code="es")
    async with bot_database.unit_of_work() as uow:
        invite = await uow.clinics.create_invite(world.a.id, now=clock.now())
        await uow.commit()
    await become_staff(marta, invite_payload(invite))
    await world.ana.next_message()  # Ana, A's owner, is told who joined
    lucia = sandbox.user(2002, first_name="Lucía", language_code="es")
    await onboard(lucia)
    await lucia.send("/ask")
    refused = await lucia.next_message()
    assert "aún no lo estás a ninguna" in (refused.text or ""), refused.text
    assert "enlace de Interval" in (refused.text or "")
    await lucia.send(f"/start {join_payload(world.a)}")
    assert "Hola de nuevo" in ((await lucia.next_message()).text or "")
    joined = await lucia.next_message()
    assert "Clínica Aurora" in (joined.text or ""), joined.text
    number = await _member_number(bot_database, lucia)

    await lucia.send("/ask")
    prompt = await lucia.next_message()
    assert "¿Qué quieres preguntar a Clínica Aurora?" in (prompt.text or ""), prompt.text
    await lucia.send("¿Puedo ir al gimnasio hoy?")
    confirm = await lucia.next_message()
    assert "¿Enviar esta pregunta a Clínica Aurora?" in (confirm.text or ""), confirm.text
    assert confirm.button_texts == [
        "📋 Enviar con mi historial de tratamientos",
        "✉️ Enviar sin él",
        "Cancelar",
    ]
    await lucia.press(confirm, "✉️ Enviar sin él")
    assert "Enviada a Clínica Aurora" in ((await lucia.next_message()).text or "")
    anas = await world.ana.next_message()
    await world.alba.next_message()
    since = world.ana.version
    martas = await marta.next_message()
    assert f"Pregunta de Lucía, paciente n.º {number}" in (martas.text or ""), martas.text
    assert "Historial de tratamientos: no compartido." in (martas.text or "")
    assert martas.button_texts == ["↩️ Responder"]

    await eventually(lambda: _stored_is(bot_database, (1, 3)), what="the three copies stored")
    await marta.send("Mejor mañana.", reply_to=martas)
    assert "Enviada al paciente" in ((await marta.next_message()).text or "")
    answered = await lucia.next_message()
    assert "Respuesta de Clínica Aurora" in (answered.text or ""), answered.text
    assert "Mejor mañana." in (answered.text or "")
    assert "Answered by Marta" in ((await wait_for_edit(world.ana, anas, since)).text or "")


async def test_cancel_and_a_timeout_send_nothing(
    world: World, bot_app: BotApp, bot_database: Database
) -> None:
    patient = world.a_patients[0]
    await patient.send("/ask")
    await patient.next_message()
    await patient.send(QUESTION)
    confirm = await patient.next_message()
    await patient.press(confirm, "Cancel")
    assert "your question was not sent" in ((await patient.next_message()).text or "")
    # The Send button of the cancelled question finds nothing to send.
    await patient.press_data(confirm, "qa:s:no")
    assert "no question waiting" in ((await patient.next_message()).text or "")

    await patient.send("/ask")
    await patient.next_message()
    await expire_conversation(bot_app, "ask", patient)
    assert "your question was not sent" in ((await patient.next_message()).text or "")
    assert await _stored(bot_database) == (0, 0)
    assert not any(QUESTION in (m.text or "") for m in world.ana.messages)
