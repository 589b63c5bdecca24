"""Bot API methods that create, change or remove messages in a chat."""

from __future__ import annotations

import time
from typing import Any

from sandbox.errors import BLOCKED, bad_request, forbidden
from sandbox.faults import FaultKind
from sandbox.formatting import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    FormattedText,
    format_text,
    utf16_length,
)
from sandbox.gate import SendGate
from sandbox.keyboards import validate_reply_markup
from sandbox.params import Params, UploadedFile
from sandbox.records import BotMessage, Edit, FileRecord
from sandbox.state import ChatState, SandboxState

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip


class Messaging:
    """sendMessage, sendDocument, sendPhoto, edits, deleteMessage, sendChatAction."""

    def __init__(self, state: SandboxState, gate: SendGate) -> None:
        self.state = state
        self.gate = gate

    async def send_message(self, params: Params) -> dict[str, Any]:
        """sendMessage."""
        chat_id = params.chat_id()
        after = await self.gate.admit(chat_id, paid=params.get_bool("allow_paid_broadcast"))
        chat = self._writable_chat(chat_id)
        raw_text = params.get_str("text") or ""
        formatted = self._format(raw_text, params, "text", "entities", MAX_TEXT_LENGTH)
        markup = validate_reply_markup(params.get_json("reply_markup"))
        message = self._new_message(chat, "sendMessage", params, formatted, raw_text, markup)
        await self.gate.after_delivery(after)
        return self.api_message(chat, message)

    async def send_document(self, params: Params) -> dict[str, Any]:
        """sendDocument (multipart upload, or a file_id sent before)."""
        return await self._send_file(params, "sendDocument", "document")

    async def send_photo(self, params: Params) -> dict[str, Any]:
        """sendPhoto (multipart upload, or a file_id sent before)."""
        return await self._send_file(params, "sendPhoto", "photo")

    async def edit_message_text(self, params: Params) -> dict[str, Any]:
        """editMessageText."""
        chat, message, after = await self._editable(params)
        if message.method != "sendMessage":
            raise bad_request("there is no text in the message to edit")
        raw_text = params.get_str("text") or ""
        formatted = self._format(raw_text, params, "text", "entities", MAX_TEXT_LENGTH)
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        markup = _inline_only(validate_reply_markup(params.get_json("reply_markup")))
        if (
            formatted.text == message.text
            and formatted.entities == message.entities
            and markup == _inline_only(message.reply_markup)
        ):
            raise bad_request(NOT_MODIFIED)
        message.text, message.raw_text = formatted.text, raw_text
        message.entities = formatted.entities
        message.parse_mode = params.get_str("parse_mode")
        message.reply_markup = markup
        self._apply_edit(chat, message, "editMessageText")
        await self.gate.after_delivery(after)
        return self.api_message(chat, message)

    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        """editMessageReplyMarkup."""
        chat, message, after = await self._editable(params)
        markup = _inline_only(validate_reply_markup(params.get_json("reply_markup")))
        if markup == _inline_only(message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = markup
        self._apply_edit(chat, message, "editMessageReplyMarkup")
        await self.gate.after_delivery(after)
        return self.api_message(chat, message)

    async def delete_message(self, params: Params) -> bool:
        """deleteMessage (the bot's messages and the user's)."""
        chat = self._writable_chat(params.chat_id())
        message_id = params.required_int("message_id")
        if chat.user_messages.pop(message_id, None) is not None:
            return True
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        chat.touch(message)
        return True

    async def send_chat_action(self, params: Params) -> bool:
        """sendChatAction."""
        self._writable_chat(params.chat_id())
        if params.get_str("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def api_message(self, chat: ChatState, message: BotMessage) -> dict[str, Any]:
        """The message as a Bot API `Message`, as Telegram returns it."""
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.state.bot.to_api(),
            "chat": chat.profile.chat_api(),
            "date": message.date,
        }
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        text_key, entities_key = "text", "entities"
        if message.document is not None:
            result["document"] = _api_document(message.document)
            text_key, entities_key = "caption", "caption_entities"
        elif message.photo is not None:
            result["photo"] = [_api_photo_size(message.photo)]
            text_key, entities_key = "caption", "caption_entities"
        if message.text is not None:
            result[text_key] = message.text
            if message.entities:
                result[entities_key] = message.entities
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            result["reply_markup"] = message.reply_markup
        return result

    async def _send_file(self, params: Params, method: str, field: str) -> dict[str, Any]:
        chat_id = params.chat_id()
        after = await self.gate.admit(chat_id, paid=params.get_bool("allow_paid_broadcast"))
        chat = self._writable_chat(chat_id)
        file = self._file(params, field)
        raw_caption = params.get_str("caption")
        formatted = None
        if raw_caption:
            formatted = self._format(
                raw_caption, params, "caption", "caption_entities", MAX_CAPTION_LENGTH
            )
        markup = validate_reply_markup(params.get_json("reply_markup"))
        message = self._new_message(
            chat,
            method,
            params,
            formatted,
            raw_caption,
            markup,
            file=file,
            as_photo=field == "photo",
        )
        await self.gate.after_delivery(after)
        return self.api_message(chat, message)

    def _file(self, params: Params, field: str) -> FileRecord:
        value = params.file_or_str(field)
        if value is None:
            raise bad_request(f"there is no {field} in the request")
        if isinstance(value, str):
            known = self.state.files.get(value)
            if known is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return known
        if not value.content:
            raise bad_request("file must be non-empty")
        return self._store_file(value, field)

    def _store_file(self, upload: UploadedFile, field: str) -> FileRecord:
        number = self.state.next_id()
        prefix = "BQAC" if field == "document" else "AgAC"
        record = FileRecord(
            file_id=f"{prefix}sandbox{number}",
            file_unique_id=f"AQAD{number}",
            file_name=upload.filename,
            content=upload.content,
            mime_type=upload.mime_type,
        )
        self.state.files[record.file_id] = record
        return record

    def _writable_chat(self, chat_id: int | str) -> ChatState:
        chat = self.state.chat(chat_id)
        if chat.blocked:
            raise forbidden(BLOCKED)
        return chat

    def _format(
        self, raw: str, params: Params, name: str, entities: str, max_length: int
    ) -> FormattedText:
        empty = "message text is empty" if name == "text" else "message caption is empty"
        if not raw.strip():
            raise bad_request(empty)
        formatted = format_text(raw, params.get_str("parse_mode"), params.get_json(entities))
        if not formatted.text.strip():
            raise bad_request(empty)
        if utf16_length(formatted.text) > max_length:
            raise bad_request(
                "message is too long" if name == "text" else "message caption is too long"
            )
        return formatted

    def _new_message(
        self,
        chat: ChatState,
        method: str,
        params: Params,
        formatted: FormattedText | None,
        raw_text: str | None,
        markup: dict[str, Any] | None,
        *,
        file: FileRecord | None = None,
        as_photo: bool = False,
    ) -> BotMessage:
        now = time.time()
        message = BotMessage(
            message_id=chat.allocate_message_id(),
            chat_id=chat.chat_id,
            method=method,
            date=int(now),
            sent_at=now,
            text=formatted.text if formatted else None,
            raw_text=raw_text,
            parse_mode=params.get_str("parse_mode"),
            entities=formatted.entities if formatted else [],
            reply_markup=markup,
            sent_markup=markup,
            params=params.raw(),
            document=None if as_photo else file,
            photo=file if as_photo else None,
        )
        chat.messages[message.message_id] = message
        chat.history.append(message)
        self.gate.record(chat, method, message)
        chat.touch(message)
        return message

    async def _editable(self, params: Params) -> tuple[ChatState, BotMessage, FaultKind | None]:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by the sandbox")
        chat_id = params.chat_id()
        message_id = params.required_int("message_id")
        after = await self.gate.admit(chat_id)
        chat = self._writable_chat(chat_id)
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            if message_id in chat.user_messages:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return chat, message, after

    def _apply_edit(self, chat: ChatState, message: BotMessage, method: str) -> None:
        now = time.time()
        message.edit_date = int(now)
        message.edits.append(
            Edit(
                method=method,
                text=message.text,
                raw_text=message.raw_text,
                parse_mode=message.parse_mode,
                reply_markup=message.reply_markup,
                at=now,
            )
        )
        self.gate.record(chat, method, message)
        chat.touch(message)


def _inline_only(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    # Only inline keyboards survive on a sent message; edits can set nothing else.
    if markup and "inline_keyboard" in markup:
        return markup
    return None


def _api_document(file: FileRecord) -> dict[str, Any]:
    document: dict[str, Any] = {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": len(file.content),
    }
    if file.file_name is not None:
        document["file_name"] = file.file_name
    if file.mime_type is not None:
        document["mime_type"] = file.mime_type
    return document


def _api_photo_size(file: FileRecord) -> dict[str, Any]:
    return {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": len(file.content),
        "width": 800,
        "height": 800,
    }
