"""Clinic links end to end: patients joining (and switching), staff invites, the staff menu."""

from __future__ import annotations

from datetime import timedelta

from telegram import BotCommandScopeChat

from bot.clock import FakeClock
from bot.context import BotApp
from bot.usecases.clinics import join_payload
from sandbox import Sandbox
from storage.database import Database
from tests.conversations.clinic_world import become_staff, join, make_clinic
from tests.conversations.helpers import button_data, onboard, patient_of


async def _clinic_of(database: Database, user_id: int) -> int | None:
    patient = await patient_of(database, user_id)
    async with database.unit_of_work() as uow:
        membership = await uow.clinics.active_membership(patient.id)
    return None if membership is None else membership.clinic_id


async def test_a_new_patient_opening_a_join_link_consents_first_then_becomes_a_member(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    clinic, _ = await make_clinic(bot_database, "Clínica Aurora", clock.now())
    pia = sandbox.user(1001)
    await pia.send(f"/start {join_payload(clinic)}")
    welcome = await pia.next_message()
    assert "Do you agree?" in (welcome.text or "")
    async with bot_database.unit_of_work() as uow:
        assert await uow.patients.get_by_user_id(1001) is None
    await pia.press(welcome, "✅ I agree")
    await pia.press(await pia.next_message(), "Europe/Berlin")
    await pia.next_message()
    joined = await pia.next_message()
    assert "You are now linked to Clínica Aurora" in (joined.text or "")
    assert "+34 600 000 000" in (joined.text or "")
    assert "https://example.org/book" in (joined.text or "")
    assert await _clinic_of(bot_database, 1001) == clinic.id


async def test_declining_consent_with_a_join_link_stores_nothing_and_joins_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    clinic, _ = await make_clinic(bot_database, "Clínica Aurora", clock.now())
    pia = sandbox.user(1001)
    await pia.send(f"/start {join_payload(clinic)}")
    await pia.press(await pia.next_message(), "No, thanks")
    assert "nothing was stored" in ((await pia.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        assert await uow.patients.get_by_user_id(1001) is None
        assert await uow.clinics.members(clinic.id) == []


async def test_an_unknown_or_malformed_join_link_gets_a_friendly_answer_and_changes_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    await make_clinic(bot_database, "Clínica Aurora", clock.now())
    pia = sandbox.user(1001)
    await onboard(pia)
    for payload in ("j_" + "x" * 32, "zz_what", "j_"):
        await pia.send(f"/start {payload}")
        await pia.next_message()  # welcome back
        answer = await pia.next_message()
        assert "not valid any more" in (answer.text or ""), payload
    assert await _clinic_of(bot_database, 1001) is None


async def test_opening_the_same_link_twice_keeps_one_membership(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    clinic, _ = await make_clinic(bot_database, "Clínica Aurora", clock.now())
    pia = sandbox.user(1001)
    await onboard(pia)
    await join(pia, clinic)
    again = await join(pia, clinic)
    assert "already linked to Clínica Aurora" in (again.text or "")
    async with bot_database.unit_of_work() as uow:
        assert len(await uow.clinics.members(clinic.id)) == 1


async def test_switching_clinics_asks_first_and_staying_changes_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    aurora, _ = await make_clinic(bot_database, "Clínica Aurora", clock.now())
    bright, _ = await make_clinic(bot_database, "Bright Skin", clock.now())
    pia = sandbox.user(1001)
    await onboard(pia)
    await join(pia, aurora)
    question = await join(pia, bright)
    assert "You are linked to Clínica Aurora. Switch to Bright Skin?" in (question.text or "")
    assert await _clinic_of(bot_database, 1001) == aurora.id
    await pia.press(question, "Stay with Clínica Aurora")
    assert "nothing changed" in ((await pia.next_message()).text or "")
    assert await _clinic_of(bot_database, 1001) == aurora.id

    question = await join(pia, bright)
    await pia.press(question, "Switch to Bright Skin")
    assert "You are now linked to Bright Skin" in ((await pia.next_message()).text or "")
    assert await _clinic_of(bot_database, 1001) == bright.id
    async with bot_database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(1001)
        assert patient is not None
        history = await uow.clinics.memberships_of(patient.id)
    assert [m.clinic_id for m in history] == [aurora.id, bright.id]
    assert history[0].left_at is not None


async def test_a_forged_switch_button_cannot_join_a_clinic_without_its_link(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    aurora, _ = await make_clinic(bot_database, "Clínica Aurora", clock.now())
    bright, _ = await make_clinic(bot_database, "Bright Skin", clock.now())
    pia = sandbox.user(1001)
    await onboard(pia)
    answer = await join(pia, aurora)
    for data in (f"cl:sw:{bright.id}", "cl:sw:" + "A" * 32, "cl:sw", "cl:sw:../x"):
        await pia.press_data(answer, data)
    await pia.wait_until_idle()
    assert await _clinic_of(bot_database, 1001) == aurora.id


async def test_a_staff_invite_works_without_consent_and_shows_staff_commands_in_that_chat_only(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    clinic, invite = await make_clinic(bot_database, "Clínica Aurora", clock.now())
    sara = sandbox.user(501, first_name="Sara")
    answer = await become_staff(sara, invite)
    assert "You are now staff of Clínica Aurora" in (answer.text or "")
    assert "/broadcast" in (answer.text or "")
    await sara.wait_until_idle()
    assert len(sara.messages) == 1, "no consent question for a staff invite"
    async with bot_database.unit_of_work() as uow:
        assert await uow.clinics.is_staff(clinic.id, 501)
        assert await uow.patients.get_by_user_id(501) is None
        (entry,) = [e for e in await uow.audit.for_clinic(clinic.id) if e.actor_id == 501]
    assert entry.action == "staff.invite_redeemed"
    staff_menu = [c.command for c in sandbox.commands(BotCommandScopeChat(501))]
    assert staff_menu[:3] == ["broadcast", "guidance", "stats"]
    assert "log" in staff_menu
    pia = sandbox.user(1001)
    await onboard(pia)
    assert sandbox.commands(BotCommandScopeChat(1001)) == []
    default_menu = [c.command for c in sandbox.commands()]
    assert "broadcast" not in default_menu


async def test_a_patient_who_becomes_staff_keeps_their_patient_data(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    _, invite = await make_clinic(bot_database, "Clínica Aurora", clock.now())
    pia = sandbox.user(1001)
    await onboard(pia)
    answer = await become_staff(pia, invite)
    assert "You are now staff of Clínica Aurora" in (answer.text or "")
    assert (await patient_of(bot_database, 1001)).consent_at is not None


async def test_a_used_expired_or_unknown_staff_invite_is_refused_clearly(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    clinic, invite = await make_clinic(bot_database, "Clínica Aurora", clock.now())
    await become_staff(sandbox.user(501), invite)
    again = await become_staff(sandbox.user(501), invite)
    assert "already staff of Clínica Aurora" in (again.text or "")
    used = await become_staff(sandbox.user(502), invite)
    assert "already been used" in (used.text or "")

    async with bot_database.unit_of_work() as uow:
        old = await uow.clinics.create_invite(clinic.id, now=clock.now())
        await uow.commit()
    clock.advance(timedelta(days=7, minutes=1))
    expired = await become_staff(sandbox.user(503), f"s_{old.code}")
    assert "has expired" in (expired.text or "")
    unknown = await become_staff(sandbox.user(504), "s_" + "Z" * 32)
    assert "not valid" in (unknown.text or "")
    async with bot_database.unit_of_work() as uow:
        staff = [s.telegram_user_id for s in await uow.clinics.list_staff(clinic.id)]
    assert staff == [501]
    assert sandbox.commands(BotCommandScopeChat(502)) == []


async def test_patients_typing_staff_commands_get_a_plain_refusal(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    await make_clinic(bot_database, "Clínica Aurora", clock.now())
    pia = sandbox.user(1001)
    await onboard(pia)
    stranger = sandbox.user(1002)  # never pressed /start
    for user in (pia, stranger):
        for command in ("/broadcast", "/guidance", "/stats"):
            await user.send(command)
            answer = await user.next_message()
            assert answer.text == "Sorry, this command is for clinic staff only.", command
            assert not answer.buttons


async def test_the_switch_question_buttons_fit_in_callback_data(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    aurora, _ = await make_clinic(bot_database, "A" * 200, clock.now())
    bright, _ = await make_clinic(bot_database, "B" * 200, clock.now())
    pia = sandbox.user(1001)
    await onboard(pia)
    await join(pia, aurora)
    question = await join(pia, bright)
    data = button_data(question, question.buttons[0][0].text)
    assert len(data.encode()) <= 64


async def test_staff_of_two_clinics_choose_the_clinic_first(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    aurora, first = await make_clinic(bot_database, "Clínica Aurora", clock.now())
    bright, second = await make_clinic(bot_database, "Bright Skin", clock.now())
    sara = sandbox.user(501)
    await become_staff(sara, first)
    await become_staff(sara, second)
    for command, expected in (
        ("/stats", "📊 Clínica Aurora"),
        ("/guidance", "Spacing guidance of Clínica Aurora"),
        ("/broadcast", "patients of Clínica Aurora"),
    ):
        await sara.send(command)
        question = await sara.next_message()
        assert question.text == "Which clinic?"
        assert question.button_texts == ["Bright Skin", "Clínica Aurora"]
        await sara.press(question, "Clínica Aurora")
        assert expected in ((await sara.next_message()).text or ""), command
    await sara.send("/cancel")
    assert "Nothing was sent or changed" in ((await sara.next_message()).text or "")
    assert bright.id != aurora.id


async def test_a_spanish_speaking_staff_member_reads_the_staff_screens_in_spanish(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    _, invite = await make_clinic(bot_database, "Clínica Aurora", clock.now())
    lola = sandbox.user(501, language_code="es")
    answer = await become_staff(lola, invite)
    assert "Ahora formas parte del equipo de Clínica Aurora" in (answer.text or "")
    menu = sandbox.commands(BotCommandScopeChat(501))
    assert menu[0].description == "Escribe a los pacientes de tu clínica"
    await lola.send("/guidance")
    assert "Pautas de espaciado de Clínica Aurora" in ((await lola.next_message()).text or "")
    await lola.send("/stats")
    assert "Miembros: menos de 5" in ((await lola.next_message()).text or "")
