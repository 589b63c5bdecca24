"""What the sandbox records: the bot's messages, edits, files, answers and sends."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from sandbox.keyboards import Button, inline_buttons, reply_keyboard


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A file the bot uploaded (document or photo)."""

    file_id: str
    file_unique_id: str
    file_name: str | None
    content: bytes
    mime_type: str | None

    def to_json(self) -> dict[str, Any]:
        """JSON for the control API (content base64-encoded)."""
        return {
            "file_id": self.file_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "size": len(self.content),
            "content_base64": base64.b64encode(self.content).decode("ascii"),
        }


@dataclass(frozen=True, slots=True)
class Edit:
    """One edit the bot applied to a message: the content right after it."""

    method: str
    text: str | None
    raw_text: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    at: float

    @property
    def buttons(self) -> list[list[Button]]:
        """Inline buttons after this edit."""
        return inline_buttons(self.reply_markup)

    def to_json(self) -> dict[str, Any]:
        """JSON for the control API."""
        return {
            "method": self.method,
            "text": self.text,
            "raw_text": self.raw_text,
            "parse_mode": self.parse_mode,
            "buttons": _buttons_json(self.reply_markup),
            "at": self.at,
        }


@dataclass(slots=True)
class BotMessage:
    """A message the bot sent to a chat, in its current state, with its edit history.

    `text` is what the user sees (for documents and photos: the caption), after
    HTML parsing; `raw_text` is exactly what the bot sent.
    """

    message_id: int
    chat_id: int
    method: str
    date: int
    sent_at: float
    text: str | None = None
    raw_text: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: FileRecord | None = None
    photo: FileRecord | None = None
    params: dict[str, object] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)
    deleted: bool = False
    edit_date: int | None = None
    version: int = 0
    # The keyboard the message was sent with, before any edit changed it.
    sent_markup: dict[str, Any] | None = None

    @property
    def buttons(self) -> list[list[Button]]:
        """Inline buttons as rows of (text, callback_data or url)."""
        return inline_buttons(self.reply_markup)

    @property
    def every_button(self) -> list[Button]:
        """Every inline button the message ever showed: as sent, then after each edit."""
        keyboards = [self.sent_markup, *(edit.reply_markup for edit in self.edits)]
        return [button for markup in keyboards for row in inline_buttons(markup) for button in row]

    @property
    def button_texts(self) -> list[str]:
        """Every inline button's text, row by row."""
        return [button.text for row in self.buttons for button in row]

    @property
    def keyboard(self) -> list[list[str]] | None:
        """Rows of a reply keyboard's button texts, if the message has one."""
        return reply_keyboard(self.reply_markup)

    def to_json(self) -> dict[str, Any]:
        """JSON for the control API."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "method": self.method,
            "date": self.date,
            "sent_at": self.sent_at,
            "text": self.text,
            "raw_text": self.raw_text,
            "parse_mode": self.parse_mode,
            "buttons": _buttons_json(self.reply_markup),
            "keyboard": self.keyboard,
            "document": self.document.to_json() if self.document else None,
            "photo": self.photo.to_json() if self.photo else None,
            "edits": [edit.to_json() for edit in self.edits],
            "deleted": self.deleted,
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """An `answerCallbackQuery` call for one of a user's button presses."""

    query_id: str
    message_id: int | None
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    at: float

    def to_json(self) -> dict[str, Any]:
        """JSON for the control API."""
        return {
            "query_id": self.query_id,
            "message_id": self.message_id,
            "data": self.data,
            "text": self.text,
            "show_alert": self.show_alert,
            "url": self.url,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True)
class SentRecord:
    """One accepted send or edit, in the order the sandbox accepted them."""

    seq: int
    chat_id: int
    method: str
    message_id: int
    text: str | None
    at: float
    # Sent with allow_paid_broadcast: counted against the paid limit, not the free one.
    paid: bool = False

    def to_json(self) -> dict[str, Any]:
        """JSON for the control API."""
        return {
            "seq": self.seq,
            "chat_id": self.chat_id,
            "method": self.method,
            "message_id": self.message_id,
            "text": self.text,
            "at": self.at,
            "paid": self.paid,
        }


@dataclass(frozen=True, slots=True)
class Command:
    """One entry of a command menu."""

    command: str
    description: str


@dataclass(frozen=True, slots=True)
class SandboxStats:
    """Counters since start (or the last reset)."""

    delivered: int
    rejected_429: int
    injected: dict[str, int]
    forbidden_403: int
    bad_request_400: int
    max_per_second: int
    max_per_chat_per_second: int
    duplicates: int
    calls: dict[str, int]
    # The most sends with allow_paid_broadcast seen in any rolling second.
    max_paid_per_second: int = 0

    @property
    def injected_total(self) -> int:
        """All injected faults, whatever their kind."""
        return sum(self.injected.values())

    def to_json(self) -> dict[str, Any]:
        """JSON for the control API."""
        return {
            "delivered": self.delivered,
            "rejected_429": self.rejected_429,
            "injected": self.injected,
            "forbidden_403": self.forbidden_403,
            "bad_request_400": self.bad_request_400,
            "max_per_second": self.max_per_second,
            "max_per_chat_per_second": self.max_per_chat_per_second,
            "max_paid_per_second": self.max_paid_per_second,
            "duplicates": self.duplicates,
            "calls": self.calls,
        }


def _buttons_json(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [
            {key: button[key] for key in ("text", "callback_data", "url") if key in button}
            for button in row
        ]
        for row in markup["inline_keyboard"]
    ]
