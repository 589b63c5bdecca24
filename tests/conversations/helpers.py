"""Shared steps for conversation tests: onboarding, waiting for edits, checking buttons."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from telegram.ext import ConversationHandler

from bot.clock import FakeClock
from bot.context import BotApp
from bot.usecases.treatments import log_treatment
from rules import Procedure
from sandbox import Sandbox
from sandbox.records import BotMessage
from sandbox.users import SandboxUser
from storage.database import Database
from storage.records import OutboxKind, Patient, Treatment
from tests.eventually import eventually
from tests.fixtures.bot import TIMEOUT, fast_forward

MAX_CALLBACK_BYTES = 64
# The user ids the conversation tests play (Ana, Ben, Lucía, a stranger).
TEST_CHATS = (1001, 1002, 2002, 3003)


async def onboard(user: SandboxUser, zone: str = "Europe/Berlin") -> None:
    """/start → agree → time-zone button, in any language; every message is consumed."""
    await user.send("/start")
    welcome = await user.next_message()
    await user.press(welcome, callback_data="on:yes")
    question = await user.next_message()
    await user.press(question, callback_data=f"tz:{zone}")
    done = await user.next_message()
    assert zone in (done.text or ""), done.text


async def wait_for_edit(
    user: SandboxUser,
    message: BotMessage,
    since: int,
    timeout: float = 5.0,  # noqa: ASYNC109  # a test's deadline to fail with a report
) -> BotMessage:
    """`message` once the bot changed it after chat version `since`."""

    def edited() -> BotMessage | None:
        return next(
            (m for m in user.messages if m.message_id == message.message_id and m.version > since),
            None,
        )

    return await eventually(
        edited, timeout=timeout, what=f"an edit of message {message.message_id} ({message.text!r})"
    )


async def press_and_wait_for_edit(
    user: SandboxUser, message: BotMessage, text: str | None = None, *, data: str | None = None
) -> BotMessage:
    """Press a button of `message` (by text, or forged `data`) and return it once edited."""
    since = user.version
    if data is not None:
        await user.press_data(message, data)
    else:
        await user.press(message, text)
    return await wait_for_edit(user, message, since)


def assert_buttons_fit(user: SandboxUser) -> None:
    """Every button the bot ever showed this user (edits included) fits Telegram's 64 bytes."""
    assert_messages_fit(user.messages)


def assert_messages_fit(messages: list[BotMessage]) -> None:
    """Every button of these messages, in every edit, has 1..64 bytes of callback data."""
    for message in messages:
        for button in message.every_button:
            assert button.data is not None, button
            assert 0 < len(button.data.encode()) <= MAX_CALLBACK_BYTES, button


def assert_sandbox_buttons_fit(sandbox: Sandbox, chat_ids: tuple[int, ...] = TEST_CHATS) -> None:
    """`assert_messages_fit` for every test chat (for an autouse fixture after each test)."""
    for chat_id in chat_ids:
        assert_messages_fit(sandbox.messages(chat_id))


def button_data(message: BotMessage, text: str) -> str:
    """The callback data of `message`'s button with this text."""
    for row in message.buttons:
        for button in row:
            if button.text == text and button.data is not None:
                return button.data
    raise AssertionError(f"no button {text!r}; buttons: {message.button_texts}")


async def patient_of(database: Database, user_id: int) -> Patient:
    """The stored patient of a sandbox user."""
    async with database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(user_id)
    assert patient is not None
    return patient


async def stored_treatments(database: Database, user_id: int) -> list[tuple[str, date]]:
    """A user's treatments as (procedure, date), newest first."""
    patient = await patient_of(database, user_id)
    async with database.unit_of_work() as uow:
        rows = await uow.treatments.list_for_patient(patient.id, limit=1000)
    return [(row.procedure.value, row.on) for row in rows]


async def pending_reminder_keys(database: Database, user_id: int) -> list[str]:
    """A user's pending reminder keys, sorted."""
    patient = await patient_of(database, user_id)
    async with database.unit_of_work() as uow:
        pending = await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.REMINDER)
    return sorted(message.dedupe_key for message in pending)


async def log_directly(
    database: Database, user_id: int, procedure: Procedure, on: date, now: datetime
) -> Treatment:
    """Store a treatment through the use-case, skipping the chat (test set-up)."""
    patient = await patient_of(database, user_id)
    result = await log_treatment(database, patient, procedure, on, now)
    return result.treatment


async def expire_conversation(application: BotApp, name: str, user: SandboxUser) -> None:
    """Let the named conversation of `user` time out, by moving the fake clock past it."""
    handler = next(
        h
        for group in application.handlers.values()
        for h in group
        if isinstance(h, ConversationHandler) and h.name == name
    )
    key = (user.chat_id, user.id)
    # The job is scheduled once the handler returns its state, just after its last reply.
    await eventually(lambda: key in handler.timeout_jobs, what=f"a {name!r} timeout pending")
    clock = application.bot_data.services.clock
    assert isinstance(clock, FakeClock)
    await fast_forward(application, clock, TIMEOUT + timedelta(seconds=1))
    await eventually(lambda: key not in handler.timeout_jobs, what=f"the {name!r} timeout run")
