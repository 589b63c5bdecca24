"""The renderer of each kind of outbox row, handed to the dispatcher by the composition root."""

from __future__ import annotations

from bot.delivery.rendering import Renderer
from bot.render.broadcasts import render_broadcast_message
from bot.render.reminders import render_notice, render_reminder
from storage.records import OutboxKind


def outbox_renderers() -> dict[OutboxKind, Renderer]:
    """Reminders, notices and broadcasts, each rendered in the recipient's language."""
    return {
        OutboxKind.REMINDER: render_reminder,
        OutboxKind.NOTICE: render_notice,
        OutboxKind.BROADCAST: render_broadcast_message,
    }
