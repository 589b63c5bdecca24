"""Aftercare after a done treatment: the shipped note, a clinic's own, and the switch in /settings.

A patient who saves a treatment they had gets a short aftercare note right after the saved
answer; a planned one gets none. Clinic A's owner (Ana) replaces or extends the note under
/guidance → Aftercare; plain staff (Alba) can read it but not change it.
"""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from bot.context import BotApp
from rules import Procedure
from sandbox import Sandbox
from sandbox.records import BotMessage
from sandbox.users import SandboxUser
from storage.database import Database
from tests.conversations.clinic_world import World, build_world
from tests.conversations.helpers import onboard, press_and_wait_for_edit

PROMPT_EN = "Please confirm the timing with your provider before booking."
PROMPT_ES = "Confirma las fechas con tu profesional antes de reservar."


@pytest.fixture
async def world(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> World:
    """Ana owns clinic A, Alba is A's staff, Bruno owns B; A has one member."""
    return await build_world(sandbox, bot_database, clock.now(), a_members=1, b_members=1)


async def _save_by_text(user: SandboxUser, text: str, save: str = "✅ Save") -> str:
    """Write a treatment in free text and press Save; the saved answer."""
    await user.send(text)
    await user.press(await user.next_message(), save)
    return (await user.next_message()).text or ""


async def _nothing_more(user: SandboxUser) -> None:
    before = len(user.messages)
    await user.wait_until_idle(quiet=0.3)
    assert len(user.messages) == before, user.messages[-1].text


async def test_a_done_botox_is_followed_by_its_aftercare_note_and_the_provider_prompt(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    saved = await _save_by_text(ana, "had botox yesterday")
    assert saved.startswith("✅ Saved: Botox")
    note = (await ana.next_message()).text or ""
    assert note.startswith("🩹 Aftercare for your Botox")
    assert "Stay upright for about 4 hours" in note
    assert "Skip strenuous exercise, saunas and alcohol for 24 hours." in note
    assert "trouble swallowing, speaking or breathing" in note
    assert PROMPT_EN in note
    assert note.endswith("You can turn these notes off in /settings.")


async def test_a_done_microneedling_gets_the_microneedling_note_not_the_botox_one(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await _save_by_text(ana, "had microneedling yesterday")
    note = (await ana.next_message()).text or ""
    assert note.startswith("🩹 Aftercare for your microneedling")
    assert "sunscreen" in note.lower()
    assert "makeup" in note.lower()
    assert "Stay upright" not in note
    assert PROMPT_EN in note


async def test_a_planned_treatment_gets_no_aftercare_note(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    saved = await _save_by_text(ana, "botox planned 10 dec")
    assert "(planned)" in saved
    await _nothing_more(ana)
    assert not any("Aftercare" in (m.text or "") for m in ana.messages)


async def test_a_spanish_speaker_gets_the_aftercare_notes_in_spanish(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    await _save_by_text(lucia, "me hice microneedling ayer", "✅ Guardar")
    note = (await lucia.next_message()).text or ""
    assert note.startswith("🩹 Cuidados después de tu microneedling")
    assert "protector solar" in note.lower()
    assert PROMPT_ES in note
    assert note.endswith("Puedes desactivar estas notas en /settings.")
    await _save_by_text(lucia, "bótox previsto el 20 dic", "✅ Guardar")
    await _nothing_more(lucia)


async def test_a_patient_who_turns_aftercare_off_in_settings_gets_no_note_and_can_turn_it_back_on(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("/settings")
    menu = await ana.next_message()
    menu = await press_and_wait_for_edit(ana, menu, "🩹 Turn aftercare notes off")
    assert "Aftercare notes are off" in (ana.messages[-1].text or "") + (menu.text or "")
    assert "🩹 Turn aftercare notes on" in menu.button_texts
    await _save_by_text(ana, "had botox yesterday")
    await _nothing_more(ana)
    assert not any("Aftercare for" in (m.text or "") for m in ana.messages)
    await ana.send("/settings")
    menu = await ana.next_message()
    await press_and_wait_for_edit(ana, menu, "🩹 Turn aftercare notes on")
    await _save_by_text(ana, "had microneedling 3 weeks ago")
    assert ((await ana.next_message()).text or "").startswith("🩹 Aftercare for your microneedling")


async def _open_aftercare(staff: SandboxUser, procedure: str = "Botox") -> BotMessage:
    await staff.send("/guidance")
    rules = await staff.next_message()
    procedures = await press_and_wait_for_edit(staff, rules, "🩹 Aftercare notes")
    return await press_and_wait_for_edit(staff, procedures, procedure)


async def test_an_owners_own_note_replaces_the_usual_one_for_her_members_only(
    world: World, sandbox: Sandbox
) -> None:
    ana = world.ana
    screen = await _open_aftercare(ana)
    assert "Stay upright for about 4 hours" in (screen.text or "")
    await ana.press(screen, "✏️ Replace it")
    assert "Type the aftercare note" in ((await ana.next_message()).text or "")
    await ana.send("x" * 1501)
    assert "1 to 1500 characters" in ((await ana.next_message()).text or "")
    await ana.send("Call us on +34 600 000 000 if <anything> worries you. Ice, no makeup today.")
    assert "Why the change?" in ((await ana.next_message()).text or "")
    await ana.send("Our doctors' own sheet")
    summary = await ana.next_message()
    assert "Replace the usual aftercare note for Botox with:" in (summary.text or "")
    await ana.press(summary, "✅ Save")
    assert "Saved as aftercare version 1" in ((await ana.next_message()).text or "")

    member = world.a_patients[0]
    await _save_by_text(member, "had botox yesterday")
    note = (await member.next_message()).text or ""
    assert "From your clinic:" in note
    assert "if <anything> worries you" in note  # shown as text, not markup
    assert "Stay upright" not in note
    assert PROMPT_EN in note
    other = world.b_patients[0]
    await _save_by_text(other, "had botox yesterday")
    assert "Stay upright for about 4 hours" in ((await other.next_message()).text or "")


async def test_an_owner_extends_the_note_and_members_read_both(
    world: World, sandbox: Sandbox
) -> None:
    ana = world.ana
    screen = await _open_aftercare(ana, "Microneedling")
    await ana.press(screen, "📝 Add to it")
    await ana.next_message()
    await ana.send("Use the serum from your kit twice a day.")
    await ana.next_message()
    await ana.send("Kit given at the visit")
    await ana.press(await ana.next_message(), "✅ Save")
    assert "version 1" in ((await ana.next_message()).text or "")
    member = world.a_patients[0]
    await _save_by_text(member, "had microneedling yesterday")
    note = (await member.next_message()).text or ""
    assert "sunscreen" in note.lower()
    assert "Your clinic adds:" in note
    assert "Use the serum from your kit twice a day." in note


async def test_plain_staff_read_the_aftercare_note_but_cannot_change_it(
    world: World, sandbox: Sandbox, bot_database: Database
) -> None:
    screen = await _open_aftercare(world.alba)
    text = screen.text or ""
    assert "Only an owner of the clinic can change aftercare notes." in text
    assert "✏️ Replace it" not in screen.button_texts
    async with bot_database.unit_of_work() as uow:
        assert await uow.aftercare.history(world.a.id) == []


async def test_an_owner_who_went_back_to_the_usual_note_gives_members_the_usual_lines(
    world: World, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = world.ana
    screen = await _open_aftercare(ana)
    await ana.press(screen, "✏️ Replace it")
    await ana.next_message()
    await ana.send("Our own sheet.")
    await ana.next_message()
    await ana.send("First try")
    await ana.press(await ana.next_message(), "✅ Save")
    await ana.next_message()
    screen = await _open_aftercare(ana)
    await ana.press(screen, "↩️ Back to the usual note")
    assert "Why the change?" in ((await ana.next_message()).text or "")
    await ana.send("The sheet is out of date")
    summary = await ana.next_message()
    assert "Go back to the usual aftercare note for Botox?" in (summary.text or "")
    await ana.press(summary, "✅ Save")
    assert "version 2" in ((await ana.next_message()).text or "")
    member = world.a_patients[0]
    await _save_by_text(member, "had botox yesterday")
    note = (await member.next_message()).text or ""
    assert "Stay upright for about 4 hours" in note
    assert "Our own sheet." not in note
    async with bot_database.unit_of_work() as uow:
        history = await uow.aftercare.history(world.a.id)
    assert [(c.version, c.mode, c.reason) for c in history][-2:] in (
        [(1, "replace", "First try"), (2, "default", "The sheet is out of date")],
        [(2, "default", "The sheet is out of date"), (1, "replace", "First try")],
    )
    assert {c.procedure for c in history} == {Procedure.BOTOX}
