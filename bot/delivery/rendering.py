"""What the dispatcher sends for an outbox row: a renderer per kind turns the payload into text.

Rendering happens at send time, in the patient's language of that moment, so a payload keeps
facts (reasons, dates), not prose. The dispatcher decodes the payload once
(`bot.usecases.payloads`) and hands it to the renderer of the row's kind, a plain function
given by the composition root (`bot.render.outbox`); it raises `RenderError` for a payload
it cannot use, which fails that row with the reason and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.usecases.payloads import Payload
from storage.recipients import Recipient
from storage.records import OutboxMessage


class RenderError(ValueError):
    """The payload cannot be turned into a message (unknown shape, missing field)."""


class NotForRecipientError(RenderError):
    """The message no longer applies to its recipient: recorded as skipped, not failed."""


# An inline keyboard as PTB's object, or as its JSON form: `{"inline_keyboard": [[{...}]]}`.
# The JSON form costs nothing to serialise, which counts at a thousand messages a second.
Markup = InlineKeyboardMarkup | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Rendered:
    """An HTML message and its inline keyboard, ready for `sendMessage`."""

    text: str
    reply_markup: Markup | None = None


# (the row, its payload, who it goes to with their clinic, the instant of sending) -> message.
Renderer = Callable[[OutboxMessage, Payload, Recipient, datetime], Rendered]
