"""The renderer of each kind of outbox row, handed to the dispatcher by the composition root."""

from __future__ import annotations

from datetime import datetime

from bot.delivery.rendering import Rendered, Renderer
from bot.render.broadcasts import render_broadcast_message
from bot.render.questions import render_answer
from bot.render.reminders import render_notice, render_reminder
from bot.usecases.payloads import Payload, QuestionAnswer
from storage.recipients import Recipient
from storage.records import OutboxKind, OutboxMessage


def _notice(
    message: OutboxMessage, payload: Payload, recipient: Recipient, now: datetime
) -> Rendered:
    """A reminder asked again, a catch-up summary, or the clinic's answer to a question."""
    if isinstance(payload, QuestionAnswer):
        return render_answer(message, payload, recipient, now)
    return render_notice(message, payload, recipient, now)


def outbox_renderers() -> dict[OutboxKind, Renderer]:
    """Reminders, notices (answers to questions among them) and broadcasts, in each
    recipient's language."""
    return {
        OutboxKind.REMINDER: render_reminder,
        OutboxKind.NOTICE: _notice,
        OutboxKind.BROADCAST: render_broadcast_message,
    }
