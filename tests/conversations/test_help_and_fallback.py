"""/help, the command menu, and what the bot says to input no flow takes."""

from __future__ import annotations

from telegram import BotCommandScopeDefault

from bot.context import BotApp
from bot.render.commands import patient_commands
from sandbox import Sandbox
from storage.database import Database
from tests.conversations._steps import answer_to
from tests.conversations.helpers import onboard

MENU = [
    "log",
    "next",
    "calendar",
    "timeline",
    "ask",
    "history",
    "settings",
    "help",
    "export",
    "delete",
    "stop",
    "cancel",
    "start",
]
UNKNOWN = "I don't know that command. /help lists what I can do."


async def test_help_lists_every_menu_command_free_text_and_the_provider_note(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("/help")
    text = (await ana.next_message()).text or ""
    assert "How Interval works" in text
    for command in patient_commands("en"):
        assert f"/{command.command} — {command.description}" in text
    assert "“had botox yesterday”" in text
    assert "confirm the timing with your provider" in text
    assert "To begin, send /start" not in text


async def test_help_in_spanish(bot_app: BotApp, sandbox: Sandbox) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    await lucia.send("/help")
    text = (await lucia.next_message()).text or ""
    assert "Cómo funciona Interval" in text
    assert "/settings — Zona horaria, hora de aviso, idioma, clínica" in text
    assert "/cancel — Dejar lo que estamos haciendo" in text
    assert "«me puse bótox ayer»" in text


async def test_help_before_signing_up_says_to_start(bot_app: BotApp, sandbox: Sandbox) -> None:
    stranger = sandbox.user(3003, language_code="es-MX")
    await stranger.send("/help")
    text = (await stranger.next_message()).text or ""
    assert "Cómo funciona Interval" in text
    assert "Para empezar, envía /start." in text


async def test_the_command_menu_has_every_command_in_english_and_spanish(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    english = sandbox.commands(BotCommandScopeDefault())
    spanish = sandbox.commands(BotCommandScopeDefault(), language_code="es")
    assert [c.command for c in english] == MENU
    assert [c.command for c in spanish] == MENU
    descriptions = {c.command: c.description for c in spanish}
    assert descriptions["cancel"] == "Dejar lo que estamos haciendo"
    assert descriptions["delete"] == "Borrar todo lo que guardamos de ti"


async def test_every_command_in_the_menu_is_answered_by_its_own_flow(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    for command in MENU:
        before = len(ana.messages)
        await ana.send(f"/{command}")
        # The first answer, then whatever else the command sends right after it.
        await ana.next_message()
        await ana.wait_until_idle(quiet=0.1)
        ana.skip_messages()
        answers = [message.text for message in ana.messages[before:]]
        assert answers, f"/{command} got no answer"
        assert UNKNOWN not in answers, f"/{command} is not handled"
        if command == "delete":
            await ana.send("/cancel")  # the next commands must not find a question open
            await ana.next_message()


async def test_stickers_photos_voice_contacts_and_locations_get_a_text_only_hint(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    for send in (
        ana.send_sticker,
        ana.send_photo,
        ana.send_voice,
        ana.send_contact,
        ana.send_location,
    ):
        await send()
        answer = await ana.next_message()
        assert answer.text == (
            "I can only read text. Try /log, or write something like “had botox yesterday”."
        ), send
    await ana.send_photo(caption="had botox yesterday")
    assert "I can only read text" in ((await ana.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(ana.id)
        assert patient is not None
        assert await uow.treatments.list_for_patient(patient.id) == []


async def test_media_before_signing_up_says_to_start_and_stores_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    stranger = sandbox.user(3003, language_code="es")
    await stranger.send_sticker()
    assert (
        await stranger.next_message()
    ).text == "Solo puedo leer texto. Envía /start para empezar."
    async with bot_database.unit_of_work() as uow:
        assert await uow.patients.get_by_user_id(3003) is None


async def test_an_unknown_command_points_to_help(bot_app: BotApp, sandbox: Sandbox) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("/frobnicate")
    assert (await ana.next_message()).text == UNKNOWN
    await ana.send("/settings@another_bot")
    assert (await ana.next_message()).text == UNKNOWN


async def test_cancel_outside_any_flow_has_nothing_to_cancel(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001, language_code="es")
    await onboard(ana, zone="Europe/Madrid")
    await ana.send("/cancel")
    assert (await ana.next_message()).text == "No hay nada que cancelar."


async def test_a_button_nobody_knows_is_answered_as_out_of_date(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("/help")
    message = await ana.next_message()
    sent = len(ana.messages)
    noop = await ana.press_data(message, "noop")
    assert (await answer_to(ana, noop)).text is None
    forged = await ana.press_data(message, "zz:1:2")
    assert (await answer_to(ana, forged)).text == "This is out of date."
    assert (await ana.next_message()).text == "This is out of date. Nothing was changed."
    await ana.wait_until_idle()
    assert len(ana.messages) == sent + 1  # the no-op button said nothing
