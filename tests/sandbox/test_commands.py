"""Command menus: setMyCommands recorded per scope and language."""

from __future__ import annotations

import pytest
from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import BadRequest

from sandbox import Command, Sandbox

PATIENT = [BotCommand("start", "Begin"), BotCommand("next", "When is my next step?")]
STAFF = [*PATIENT, BotCommand("broadcast", "Message your patients")]


async def test_commands_are_recorded_per_scope(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.user(1001)

    await bot.set_my_commands(PATIENT)
    await bot.set_my_commands(STAFF, scope=BotCommandScopeChat(1001))

    assert sandbox.commands() == [
        Command("start", "Begin"),
        Command("next", "When is my next step?"),
    ]
    assert [c.command for c in sandbox.commands(BotCommandScopeChat(1001))] == [
        "start",
        "next",
        "broadcast",
    ]
    assert sandbox.commands({"type": "chat", "chat_id": "1001"}) == sandbox.commands(
        BotCommandScopeChat(1001)
    )
    assert sandbox.commands(BotCommandScopeChat(1001), language_code="es") == []
    assert await bot.get_my_commands(scope=BotCommandScopeChat(1001)) == tuple(STAFF)
    assert await bot.get_my_commands(scope=BotCommandScopeDefault()) == tuple(PATIENT)


async def test_commands_are_recorded_per_language(sandbox: Sandbox, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Empezar")], language_code="es")

    assert sandbox.commands(language_code="es") == [Command("start", "Empezar")]
    assert sandbox.commands() == []


async def test_deleting_commands_clears_only_that_scope(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.user(1001)
    await bot.set_my_commands(PATIENT)
    await bot.set_my_commands(STAFF, scope=BotCommandScopeChat(1001))

    await bot.delete_my_commands(scope=BotCommandScopeChat(1001))

    assert sandbox.commands(BotCommandScopeChat(1001)) == []
    assert len(sandbox.commands()) == 2


async def test_a_chat_scope_for_an_unknown_chat_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.set_my_commands(STAFF, scope=BotCommandScopeChat(424242))


async def test_an_invalid_command_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Not-Valid", "x")])
