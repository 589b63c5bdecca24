"""Playing a Telegram user: messages, button presses and blocking, as updates for the bot."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.formatting import bot_command_entities
from sandbox.keyboards import find_inline_button
from sandbox.messaging import Messaging
from sandbox.records import BotMessage, CallbackAnswer
from sandbox.state import CallbackQuery, ChatState, SandboxState, UserProfile

IdleWaiter = Callable[[float, float], Awaitable[None]]


class SandboxUser:
    """One user in a private chat with the bot (chat id == user id)."""

    __slots__ = ("_chat", "_messaging", "_state", "_wait_idle")

    def __init__(
        self, state: SandboxState, messaging: Messaging, chat: ChatState, wait_idle: IdleWaiter
    ) -> None:
        self._state = state
        self._messaging = messaging
        self._chat = chat
        self._wait_idle = wait_idle

    def __repr__(self) -> str:
        return f"SandboxUser(id={self.id}, first_name={self.profile.first_name!r})"

    @property
    def id(self) -> int:
        """The user's id, also their private chat's id."""
        return self._chat.chat_id

    @property
    def chat_id(self) -> int:
        """The private chat's id (== the user's id)."""
        return self._chat.chat_id

    @property
    def profile(self) -> UserProfile:
        """Name, username and language the user appears with."""
        profile = self._chat.profile
        if not isinstance(profile, UserProfile):  # pragma: no cover - users own private chats
            raise TypeError(f"chat {self._chat.chat_id} is a group, not a user's chat")
        return profile

    @property
    def blocked(self) -> bool:
        """Whether the user has blocked the bot."""
        return self._chat.blocked

    @property
    def messages(self) -> list[BotMessage]:
        """Every message the bot sent to this chat, in order, in their current state."""
        return list(self._chat.history)

    @property
    def last_message(self) -> BotMessage | None:
        """The bot's latest message to this chat, if any."""
        return self._chat.history[-1] if self._chat.history else None

    @property
    def answered_callbacks(self) -> list[CallbackAnswer]:
        """answerCallbackQuery calls for this user's button presses, in order."""
        return list(self._chat.callback_answers)

    async def send(self, text: str, *, reply_to: BotMessage | int | None = None) -> int:
        """Send a text message (commands get their `bot_command` entity); return its id."""
        content: dict[str, Any] = {"text": text}
        entities = bot_command_entities(text)
        if entities:
            content["entities"] = entities
        if reply_to is not None:
            content["reply_to_message"] = self._messaging.api_message(
                self._chat, self._bot_message(reply_to)
            )
        return self._send_content(content)

    async def send_sticker(self, emoji: str = "👍") -> int:
        """Send a sticker; return the message id."""
        file_id = self._file_id("CAAC")
        sticker = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._send_content({"sticker": sticker})

    async def send_photo(self, caption: str | None = None) -> int:
        """Send a photo (with an optional caption); return the message id."""
        file_id = self._file_id("AgAC")
        sizes = [
            {"file_id": f"{file_id}s", "file_unique_id": f"{file_id}s", "width": 90, "height": 90},
            {"file_id": file_id, "file_unique_id": file_id, "width": 1280, "height": 960},
        ]
        content: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._send_content(content)

    async def send_voice(self, duration: int = 3) -> int:
        """Send a voice message; return the message id."""
        file_id = self._file_id("AwAC")
        voice = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id}",
            "duration": duration,
            "mime_type": "audio/ogg",
        }
        return self._send_content({"voice": voice})

    async def send_contact(self, phone_number: str = "+34600000000") -> int:
        """Share a contact (the user's own); return the message id."""
        contact = {
            "phone_number": phone_number,
            "first_name": self.profile.first_name,
            "user_id": self.id,
        }
        return self._send_content({"contact": contact})

    async def send_location(self, latitude: float = 40.4168, longitude: float = -3.7038) -> int:
        """Share a location; return the message id."""
        return self._send_content({"location": {"latitude": latitude, "longitude": longitude}})

    async def next_message(self, timeout: float = 5.0) -> BotMessage:  # noqa: ASYNC109  # a test's deadline to fail with a report, not a cancellation
        """The next message the bot sends here that this test has not taken yet."""
        chat = self._chat
        deadline = time.monotonic() + timeout
        while chat.consumed >= len(chat.history):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(self._nothing_arrived(timeout))
            await chat.changed.wait(remaining)
        message = chat.history[chat.consumed]
        chat.consumed += 1
        return message

    @property
    def version(self) -> int:
        """A counter that grows with every send, edit or deletion in this chat."""
        return self._chat.version

    async def wait_for_changes(self, since: int, wait: float = 0.0) -> list[BotMessage]:
        """Messages sent, edited or deleted after version `since`, waiting up to `wait` s."""
        chat = self._chat
        deadline = time.monotonic() + wait
        while True:
            changed = [message for message in chat.history if message.version > since]
            remaining = deadline - time.monotonic()
            if changed or remaining <= 0:
                return sorted(changed, key=lambda message: message.version)
            await chat.changed.wait(remaining)

    def skip_messages(self) -> int:
        """Treat every message sent so far as taken; return how many were skipped."""
        skipped = len(self._chat.history) - self._chat.consumed
        self._chat.consumed = len(self._chat.history)
        return skipped

    async def press(
        self,
        message: BotMessage | int,
        text: str | None = None,
        *,
        callback_data: str | None = None,
    ) -> str:
        """Press an inline button of `message` by its text and/or data; return the query id."""
        if text is None and callback_data is None:
            raise ValueError("press() needs the button's text or its callback_data")
        target = self._bot_message(message)
        if target.deleted:
            raise AssertionError(f"message {target.message_id} was deleted; nothing to press")
        button = find_inline_button(target.reply_markup, text, callback_data)
        wanted = text if text is not None else callback_data
        if button is None:
            listed = ", ".join(f"{b.text!r} ({b.data})" for row in target.buttons for b in row)
            raise AssertionError(
                f"no button {wanted!r} on message {target.message_id}; "
                f"its buttons are: {listed or 'none'}"
            )
        if "callback_data" not in button:
            raise AssertionError(f"button {wanted!r} does not send callback data: {button}")
        return self._press(target, str(button["callback_data"]))

    async def press_data(self, message: BotMessage | int, data: str) -> str:
        """Send arbitrary callback data from `message`, as a forged client could."""
        return self._press(self._bot_message(message), data)

    async def block(self) -> None:
        """Block the bot: sends now fail with 403 and a my_chat_member update arrives."""
        if not self._chat.blocked:
            self._chat.blocked = True
            self._member_update(old="member", new="kicked")

    async def unblock(self) -> None:
        """Unblock the bot (Telegram's "Restart"): a my_chat_member update arrives."""
        if self._chat.blocked:
            self._chat.blocked = False
            self._member_update(old="kicked", new="member")

    async def wait_until_idle(
        self,
        quiet: float = 0.3,
        timeout: float = 10.0,  # noqa: ASYNC109  # a test's deadline to fail with a report, not a cancellation
    ) -> None:
        """Wait until the bot took every update and made no call for `quiet` seconds."""
        await self._wait_idle(quiet, timeout)

    def _send_content(self, content: dict[str, Any]) -> int:
        if self._chat.blocked:
            raise AssertionError(
                f"user {self.id} has blocked the bot; call unblock() before sending"
            )
        message_id = self._chat.allocate_message_id()
        message = {
            "message_id": message_id,
            "from": self.profile.to_api(),
            "chat": self.profile.chat_api(),
            "date": int(time.time()),
            **content,
        }
        self._chat.user_messages[message_id] = message
        self._state.updates.push({"message": message})
        return message_id

    def _press(self, target: BotMessage, data: str) -> str:
        query_id = str(self._state.next_id())
        self._state.queries[query_id] = CallbackQuery(query_id, self.id, target.message_id, data)
        query = {
            "id": query_id,
            "from": self.profile.to_api(),
            "message": self._messaging.api_message(self._chat, target),
            "chat_instance": str(self.id * 7919),
            "data": data,
        }
        self._state.updates.push({"callback_query": query})
        return query_id

    def _member_update(self, *, old: str, new: str) -> None:
        bot = self._state.bot.to_api()

        def member(status: str) -> dict[str, Any]:
            if status == "kicked":
                return {"user": bot, "status": "kicked", "until_date": 0}
            return {"user": bot, "status": status}

        update = {
            "chat": self.profile.chat_api(),
            "from": self.profile.to_api(),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        self._state.updates.push({"my_chat_member": update})

    def _bot_message(self, message: BotMessage | int) -> BotMessage:
        message_id = message if isinstance(message, int) else message.message_id
        found = self._chat.messages.get(message_id)
        if found is None:
            raise AssertionError(f"the bot sent no message {message_id} to chat {self.id}")
        return found

    def _file_id(self, prefix: str) -> str:
        return f"{prefix}user{self._state.next_id()}"

    def _nothing_arrived(self, timeout: float) -> str:
        chat = self._chat
        lines = [
            f"no new message from the bot to {self.profile.first_name} (chat {self.id}) "
            f"within {timeout:g} s."
        ]
        if chat.history:
            lines.append(f"Sent to this chat so far ({len(chat.history)}):")
            for index, message in enumerate(chat.history):
                taken = "taken" if index < chat.consumed else "new"
                what = message.text if message.text is not None else message.method
                if message.document is not None:
                    what = f"[document {message.document.file_name}] {message.text or ''}"
                flags = " (deleted)" if message.deleted else ""
                lines.append(f"  #{message.message_id} [{taken}]{flags} {what!r}")
        else:
            lines.append("Nothing was sent to this chat.")
        if chat.failures:
            lines.append("The bot's last failed calls for this chat:")
            lines.extend(f"  {failure}" for failure in chat.failures)
        pending = self._state.updates.unfetched
        if pending:
            lines.append(f"{pending} update(s) are still waiting for the bot to fetch them.")
        return "\n".join(lines)
