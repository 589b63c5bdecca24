"""A staff member's broadcast text as the HTML it is sent as."""

from __future__ import annotations

from telegram import Message, MessageEntity
from telegram.constants import MessageEntityType

# Entities the Telegram client creates when the author formats text (bold, links, ...).
_FORMATTING = frozenset(
    {
        MessageEntityType.BOLD,
        MessageEntityType.ITALIC,
        MessageEntityType.UNDERLINE,
        MessageEntityType.STRIKETHROUGH,
        MessageEntityType.SPOILER,
        MessageEntityType.CODE,
        MessageEntityType.PRE,
        MessageEntityType.TEXT_LINK,
        MessageEntityType.BLOCKQUOTE,
    }
)


def broadcast_body(message: Message) -> str:
    """The broadcast body as HTML.

    Text formatted in the Telegram app arrives as entities: their HTML keeps it (and
    escapes any literal `<`). Plain text is taken as HTML written by hand.
    """
    entities: tuple[MessageEntity, ...] = message.entities or ()
    if any(entity.type in _FORMATTING for entity in entities):
        return message.text_html or ""
    return message.text or ""
