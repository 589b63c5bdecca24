"""A real python-telegram-bot Application against the sandbox, by polling and by webhook."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from sandbox import Sandbox

SECRET = "webhook_secret"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="consent:yes")]])
    await update.effective_message.reply_text("Do you consent?", reply_markup=markup)


async def consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Thanks")
    await query.edit_message_text("Consent recorded.")


def build(sandbox: Sandbox) -> Application:  # type: ignore[type-arg]
    application = Application.builder().token(sandbox.token).base_url(sandbox.base_url).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(consent, pattern="^consent:"))
    return application


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def polling_app(sandbox: Sandbox) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    application = build(sandbox)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=10)
        yield application
        await application.updater.stop()
        await application.stop()


async def test_a_polling_application_answers_a_command_and_a_button(
    sandbox: Sandbox,
    polling_app: Application,  # type: ignore[type-arg]
) -> None:
    user = sandbox.user(1001, "Ana")

    await user.send("/start")
    question = await user.next_message()
    await user.press(question, "Yes")
    await user.wait_until_idle()

    assert question.text == "Consent recorded."
    assert [edit.text for edit in question.edits] == ["Consent recorded."]
    assert [answer.text for answer in user.answered_callbacks] == ["Thanks"]


async def test_a_webhook_application_gets_updates_with_its_secret(sandbox: Sandbox) -> None:
    port = free_port()
    application = build(sandbox)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token=SECRET,
        )
        user = sandbox.user(1001, "Ana")

        await user.send("/start")
        question = await user.next_message()

        await application.updater.stop()
        await application.stop()

    assert question.text == "Do you consent?"
    assert sandbox.webhook_info()["url"] == f"http://127.0.0.1:{port}/hook"
