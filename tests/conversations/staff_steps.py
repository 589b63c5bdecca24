"""Steps a staff member takes in the chat: write a broadcast, pick its audience, confirm."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from sandbox.records import BotMessage
from sandbox.users import SandboxUser
from storage.database import Database
from storage.models import OutboxRow
from storage.records import Broadcast, OutboxKind


async def write_broadcast(staff: SandboxUser, text: str) -> tuple[BotMessage, BotMessage]:
    """/broadcast and the text: the preview and the audience question."""
    await staff.send("/broadcast")
    prompt = await staff.next_message()
    assert "Write the message" in (prompt.text or ""), prompt.text
    await staff.send(text)
    preview = await staff.next_message()
    question = await staff.next_message()
    assert "Who should receive it?" in (question.text or ""), question.text
    return preview, question


async def choose_audience(
    staff: SandboxUser, question: BotMessage, kind: str = "all", days: int | None = None
) -> BotMessage:
    """Press the audience (and its days); the confirm screen."""
    labels = {
        "all": "All active members",
        "done": "Procedure done in the last … days",
        "planned": "Procedure planned in the next … days",
    }
    await staff.press(question, labels[kind])
    if kind != "all":
        how_many = await staff.next_message()
        await staff.press(how_many, str(days))
    summary = await staff.next_message()
    assert "Ready to send" in (summary.text or ""), summary.text
    return summary


async def confirm(staff: SandboxUser, summary: BotMessage) -> BotMessage:
    """Press Send; the progress message."""
    send = next(b.text for row in summary.buttons for b in row if b.text.startswith("✅ Send"))
    await staff.press(summary, send)
    progress = await staff.next_message()
    assert "Broadcast #" in (progress.text or ""), progress.text
    return progress


async def broadcast_to_all(staff: SandboxUser, text: str) -> BotMessage:
    """The whole flow for every active member; the progress message."""
    _, question = await write_broadcast(staff, text)
    return await confirm(staff, await choose_audience(staff, question))


async def deliveries(database: Database) -> list[tuple[int, int | None, str]]:
    """Every broadcast outbox row, whatever its state: (chat id, broadcast id, state)."""
    async with database.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(OutboxRow.chat_id, OutboxRow.broadcast_id, OutboxRow.state)
            .where(OutboxRow.kind == OutboxKind.BROADCAST.value)
            .order_by(OutboxRow.chat_id)
        )
        return [tuple(row) for row in rows.tuples()]


async def broadcasts_of(database: Database, clinic_id: int) -> list[Broadcast]:
    """The clinic's broadcasts, newest first."""
    async with database.unit_of_work() as uow:
        return await uow.broadcasts.recent(clinic_id, limit=100)


async def final_report(staff: SandboxUser, timeout: float = 15.0) -> BotMessage:  # noqa: ASYNC109  # a test's deadline
    """The report the bot sends when a broadcast has no delivery left."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError("no final broadcast report arrived")
        message = await staff.next_message(timeout=remaining)
        if "finished:" in (message.text or "") or "stopped:" in (message.text or ""):
            return message


def received(user: SandboxUser, html: str) -> int:
    """How many messages the user got that the bot sent starting with this HTML."""
    return sum(1 for m in user.messages if (m.raw_text or "").startswith(html))
