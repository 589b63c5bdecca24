"""What the dispatcher sends for an outbox row: a renderer per kind turns the payload into text.

Rendering happens at send time, in the patient's language of that moment, so a payload keeps
facts (reasons, dates), not prose. A renderer is a plain function; it raises `RenderError`
for a payload it cannot read, which fails that row with the reason and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardMarkup

from storage.recipients import Recipient
from storage.records import OutboxMessage


class RenderError(ValueError):
    """The payload cannot be turned into a message (unknown shape, missing field)."""


@dataclass(frozen=True, slots=True)
class Rendered:
    """An HTML message and its inline keyboard, ready for `sendMessage`."""

    text: str
    reply_markup: InlineKeyboardMarkup | None = None


# (the row, who it goes to with their clinic, the instant of sending) -> the message.
Renderer = Callable[[OutboxMessage, Recipient, datetime], Rendered]
