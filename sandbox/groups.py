"""Playing a group chat with the bot in it: members write, press, and add the bot."""

from __future__ import annotations

import time
from typing import Any

from sandbox.formatting import bot_command_entities
from sandbox.keyboards import find_inline_button
from sandbox.messaging import Messaging
from sandbox.records import BotMessage
from sandbox.state import CallbackQuery, ChatState, GroupProfile, SandboxState
from sandbox.users import IdleWaiter, SandboxUser


class SandboxGroup:
    """A group (or supergroup, or channel) the sandbox plays; its members are users."""

    __slots__ = ("_chat", "_messaging", "_state", "_wait_idle")

    def __init__(
        self, state: SandboxState, messaging: Messaging, chat: ChatState, wait_idle: IdleWaiter
    ) -> None:
        self._state = state
        self._messaging = messaging
        self._chat = chat
        self._wait_idle = wait_idle

    @property
    def chat_id(self) -> int:
        """The group's id (negative)."""
        return self._chat.chat_id

    @property
    def messages(self) -> list[BotMessage]:
        """Every message the bot sent to the group, in order."""
        return list(self._chat.history)

    def _profile(self) -> GroupProfile:
        profile = self._chat.profile
        if not isinstance(profile, GroupProfile):  # pragma: no cover - made by Sandbox.group
            raise TypeError(f"chat {self.chat_id} is not a group")
        return profile

    async def send(self, user: SandboxUser, text: str) -> int:
        """`user` writes `text` in the group (commands get their entity); its message id."""
        message_id = self._chat.allocate_message_id()
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": user.profile.to_api(),
            "chat": self._profile().chat_api(),
            "date": int(time.time()),
            "text": text,
        }
        entities = bot_command_entities(text)
        if entities:
            message["entities"] = entities
        self._chat.user_messages[message_id] = message
        self._state.updates.push({"message": message})
        return message_id

    async def press(self, user: SandboxUser, message: BotMessage, data: str) -> str:
        """`user` presses a button (or forges `data`) on the bot's message in the group."""
        query_id = str(self._state.next_id())
        self._state.queries[query_id] = CallbackQuery(query_id, user.id, message.message_id, data)
        self._state.updates.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.profile.to_api(),
                    "message": self._messaging.api_message(self._chat, message),
                    "chat_instance": str(self.chat_id * 7919),
                    "data": data,
                }
            }
        )
        return query_id

    def url_of(self, message: BotMessage, text: str) -> str:
        """The URL of a link button on the bot's message."""
        button = find_inline_button(message.reply_markup, text, None)
        if button is None or "url" not in button:
            raise AssertionError(f"no link button {text!r}; buttons: {message.button_texts}")
        return str(button["url"])

    async def add_bot(self, by: SandboxUser, *, status: str = "member") -> None:
        """`by` adds the bot to the group: a my_chat_member update (left -> `status`)."""
        self._member_update(by, old="left", new=status)

    async def remove_bot(self, by: SandboxUser) -> None:
        """`by` removes the bot from the group."""
        self._member_update(by, old="member", new="left")

    async def next_message(self, timeout: float = 5.0) -> BotMessage:  # noqa: ASYNC109  # a test's deadline
        """The next message the bot sent to the group (not yet taken)."""
        deadline = time.monotonic() + timeout
        while True:
            if self._chat.consumed < len(self._chat.history):
                message = self._chat.history[self._chat.consumed]
                self._chat.consumed += 1
                return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no new message from the bot in group {self.chat_id}")
            await self._chat.changed.wait(remaining)

    async def wait_until_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot took every update and made no call for `quiet` seconds."""
        await self._wait_idle(quiet, timeout)

    def _member_update(self, by: SandboxUser, *, old: str, new: str) -> None:
        bot = self._state.bot.to_api()
        self._state.updates.push(
            {
                "my_chat_member": {
                    "chat": self._profile().chat_api(),
                    "from": by.profile.to_api(),
                    "date": int(time.time()),
                    "old_chat_member": {"user": bot, "status": old},
                    "new_chat_member": {"user": bot, "status": new},
                }
            }
        )
