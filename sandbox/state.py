"""Everything the sandbox knows: the bot, users and their chats, files, queries, sends."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import CHAT_NOT_FOUND, bad_request
from sandbox.limits import SlidingWindow
from sandbox.records import BotMessage, CallbackAnswer, Command, FileRecord, SentRecord
from sandbox.updates import UpdateQueue
from sandbox.waiting import Signal


@dataclass(frozen=True, slots=True)
class BotProfile:
    """The bot's own account, as getMe returns it."""

    id: int
    first_name: str
    username: str

    def to_api(self) -> dict[str, Any]:
        """The bot as a Bot API `User`."""
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass(slots=True)
class UserProfile:
    """A person the sandbox plays; their private chat with the bot has the same id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The user as a Bot API `User`."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                user[key] = value
        return user

    def chat_api(self) -> dict[str, Any]:
        """The private chat with this user as a Bot API `Chat`."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if (value := getattr(self, key)) is not None:
                chat[key] = value
        return chat


@dataclass(slots=True)
class GroupProfile:
    """A group, supergroup or channel the bot is in (negative ids, as in Telegram)."""

    id: int
    title: str
    type: str = "supergroup"

    @property
    def first_name(self) -> str:
        """The title, where a private chat would show its user's name."""
        return self.title

    def chat_api(self) -> dict[str, Any]:
        """The group as a Bot API `Chat`."""
        return {"id": self.id, "type": self.type, "title": self.title}


class ChatState:
    """One chat (private, or a group): its messages both ways, blocking, the read cursor."""

    __slots__ = (
        "blocked",
        "callback_answers",
        "changed",
        "consumed",
        "failures",
        "history",
        "messages",
        "next_message_id",
        "profile",
        "user_messages",
        "version",
        "window",
    )

    def __init__(self, profile: UserProfile | GroupProfile) -> None:
        self.profile = profile
        self.blocked = False
        # Message ids are per chat and shared by both sides, as in Telegram.
        self.next_message_id = 1
        self.messages: dict[int, BotMessage] = {}
        self.history: list[BotMessage] = []
        self.user_messages: dict[int, dict[str, Any]] = {}
        self.callback_answers: list[CallbackAnswer] = []
        # The bot's last failed calls for this chat, shown when a test waits in vain.
        self.failures: list[str] = []
        self.consumed = 0
        self.version = 0
        self.changed = Signal()
        self.window = SlidingWindow()

    @property
    def chat_id(self) -> int:
        """The chat's id (the user's id)."""
        return self.profile.id

    def allocate_message_id(self) -> int:
        """The next message id in this chat."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def remember_failure(self, failure: str) -> None:
        """Keep the last few failed calls for this chat."""
        self.failures.append(failure)
        del self.failures[:-5]

    def touch(self, message: BotMessage) -> None:
        """Mark `message` as changed now and wake anyone waiting on this chat."""
        self.version += 1
        message.version = self.version
        self.changed.notify()


@dataclass(slots=True)
class CallbackQuery:
    """A button press waiting for (or given) an answerCallbackQuery."""

    query_id: str
    user_id: int
    message_id: int | None
    data: str | None
    answered: bool = False


@dataclass(slots=True)
class Counters:
    """Mutable counters behind `Sandbox.stats`."""

    delivered: int = 0
    rejected_429: int = 0
    forbidden_403: int = 0
    bad_request_400: int = 0
    duplicates: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)


class SandboxState:
    """The whole simulated Telegram side of one bot token."""

    def __init__(self, bot: BotProfile) -> None:
        self.bot = bot
        self.chats: dict[int, ChatState] = {}
        # Groups and channels, apart from `chats` (every entry of which is a user).
        self.groups: dict[int, ChatState] = {}
        self.queries: dict[str, CallbackQuery] = {}
        self.commands: dict[tuple[tuple[object, ...], str], list[Command]] = {}
        # setChatMenuButton: the menu button JSON per chat id (None: the default button).
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.files: dict[str, FileRecord] = {}
        self.sent: list[SentRecord] = []
        self.counters = Counters()
        self.updates = UpdateQueue()
        self.seen_keys: set[Hashable] = set()
        self._ids = itertools.count(1)

    def chat(self, chat_id: int | str) -> ChatState:
        """The chat with this id, or 400 `chat not found` like Telegram."""
        chat = None
        if isinstance(chat_id, int):
            chat = self.chats.get(chat_id) or self.groups.get(chat_id)
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        return chat

    def ensure_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> ChatState:
        """The chat of this user, created on first use; given profile fields are updated."""
        chat = self.chats.get(user_id)
        if chat is None:
            chat = self.chats[user_id] = ChatState(
                UserProfile(user_id, first_name or f"User{user_id}")
            )
        profile = chat.profile
        if not isinstance(profile, UserProfile):  # pragma: no cover - kept apart in `groups`
            raise TypeError(f"chat {user_id} is a group")
        if first_name is not None:
            profile.first_name = first_name
        if last_name is not None:
            profile.last_name = last_name
        if username is not None:
            profile.username = username
        if language_code is not None:
            profile.language_code = language_code
        return chat

    def next_id(self) -> int:
        """A fresh number for query and file ids."""
        return next(self._ids)

    def reset(self) -> None:
        """Forget users, messages, files, commands, sends and counters."""
        self.chats.clear()
        self.queries.clear()
        self.commands.clear()
        self.menu_buttons.clear()
        self.files.clear()
        self.sent.clear()
        self.seen_keys.clear()
        self.counters = Counters()
        self.updates.reset()
