"""The Bot API methods the sandbox serves, dispatched by (case-insensitive) name."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from sandbox.errors import CHAT_NOT_FOUND, ApiError, bad_request, conflict, not_found
from sandbox.gate import SEND_METHODS, SendGate
from sandbox.messaging import Messaging
from sandbox.params import Params
from sandbox.records import CallbackAnswer, Command
from sandbox.state import SandboxState
from sandbox.waiting import Activity
from sandbox.webhook import WebhookConfig, WebhookDelivery

logger = logging.getLogger(__name__)

WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
POLL_TERMINATED = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SIMPLE_SCOPES = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
)

ScopeKey = tuple[object, ...]


class ApiResult(NamedTuple):
    """A successful answer: its result and, for some methods, a description."""

    value: Any
    description: str | None = None


Method = Callable[[Params], Awaitable[Any]]


class BotApi:
    """Implements the Bot API over the sandbox state."""

    def __init__(
        self,
        state: SandboxState,
        gate: SendGate,
        webhook: WebhookDelivery,
        activity: Activity,
    ) -> None:
        self.state = state
        self.gate = gate
        self.webhook = webhook
        self.activity = activity
        self.messaging = Messaging(state, gate)
        self.closing = False
        self._poll_generation = 0
        messaging = self.messaging
        methods: dict[str, Method] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": messaging.send_message,
            "sendDocument": messaging.send_document,
            "sendPhoto": messaging.send_photo,
            "editMessageText": messaging.edit_message_text,
            "editMessageReplyMarkup": messaging.edit_message_reply_markup,
            "deleteMessage": messaging.delete_message,
            "sendChatAction": messaging.send_chat_action,
            "answerCallbackQuery": self.answer_callback_query,
            "setMyCommands": self.set_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getMyCommands": self.get_my_commands,
            "setChatMenuButton": self.set_chat_menu_button,
            "close": self.close,
        }
        # Telegram matches method names case-insensitively.
        self._methods = {name.lower(): (name, method) for name, method in methods.items()}

    async def call(self, method_name: str, params: Params) -> ApiResult:
        """Run one Bot API call; raise ApiError with Telegram's answer on failure."""
        entry = self._methods.get(method_name.lower())
        if entry is None:
            logger.warning("the sandbox does not implement Bot API method %r", method_name)
            raise not_found()
        name, method = entry
        counters = self.state.counters
        counters.calls[name] += 1
        polling = name == "getUpdates"
        if not polling:
            self.activity.begin()
        try:
            result = await method(params)
        except ApiError as error:
            self._remember_failure(name, params, error)
            if name in SEND_METHODS and error.error_code == 400:
                counters.bad_request_400 += 1
            elif name in SEND_METHODS and error.error_code == 403:
                counters.forbidden_403 += 1
            raise
        finally:
            if not polling:
                self.activity.end()
        return result if isinstance(result, ApiResult) else ApiResult(result)

    def _remember_failure(self, name: str, params: Params, error: ApiError) -> None:
        if "chat_id" not in params:
            return
        try:
            chat_id = params.chat_id()
        except ApiError:
            return
        chat = self.state.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is not None:
            chat.remember_failure(f"{name} -> {error.error_code} {error.description}")

    def wake_pollers(self) -> None:
        """Wake waiting getUpdates calls so they re-check (stop, webhook set)."""
        self.state.updates.changed.notify()

    async def get_me(self, params: Params) -> dict[str, Any]:
        """getMe."""
        return {
            **self.state.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        """getUpdates with offset, limit, timeout (long polling) and allowed_updates."""
        if self.webhook.active:
            raise conflict(WEBHOOK_ACTIVE)
        queue = self.state.updates
        # A newer getUpdates ends any older one still waiting, as in Telegram.
        self._poll_generation += 1
        generation = self._poll_generation
        self.wake_pollers()
        offset = params.get_int("offset", 0) or 0
        limit = min(100, max(1, params.get_int("limit", 100) or 100))
        timeout = max(0.0, params.get_float("timeout", 0.0) or 0.0)
        queue.set_allowed(params.get_json("allowed_updates"))
        if offset > 0:
            queue.confirm_before(offset)
        elif offset < 0:
            queue.keep_last(-offset)
        deadline = time.monotonic() + timeout
        while True:
            batch = queue.take(limit)
            if batch:
                self.activity.touch()
                return batch
            remaining = deadline - time.monotonic()
            if self.closing or remaining <= 0:
                return []
            await queue.changed.wait(remaining)
            if generation != self._poll_generation:
                raise conflict(POLL_TERMINATED)
            if self.webhook.active:
                raise conflict(WEBHOOK_ACTIVE)

    async def set_webhook(self, params: Params) -> ApiResult:
        """setWebhook (an empty url removes it)."""
        url = params.get_str("url", "") or ""
        drop = params.get_bool("drop_pending_updates")
        if not url:
            return await self.delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get_str("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.get_int("max_connections", 40) or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        queue = self.state.updates
        queue.set_allowed(params.get_json("allowed_updates"))
        if drop:
            queue.clear()
        changed = await self.webhook.set(WebhookConfig(url, secret, max_connections))
        self.wake_pollers()
        return ApiResult(True, "Webhook was set" if changed else "Webhook is already set")

    async def delete_webhook(self, params: Params) -> ApiResult:
        """deleteWebhook, honouring drop_pending_updates."""
        was_active = self.webhook.active
        await self.webhook.delete()
        if params.get_bool("drop_pending_updates"):
            self.state.updates.clear()
        return ApiResult(
            True, "Webhook was deleted" if was_active else "Webhook is already deleted"
        )

    async def get_webhook_info(self, params: Params) -> dict[str, Any]:
        """getWebhookInfo."""
        return self.webhook.info()

    async def answer_callback_query(self, params: Params) -> bool:
        """answerCallbackQuery: once per query, recorded for the user who pressed."""
        query_id = params.required_str("callback_query_id")
        query = self.state.queries.get(query_id)
        if query is None or query.answered:
            raise bad_request(QUERY_INVALID)
        query.answered = True
        answer = CallbackAnswer(
            query_id=query_id,
            message_id=query.message_id,
            data=query.data,
            text=params.get_str("text"),
            show_alert=params.get_bool("show_alert"),
            url=params.get_str("url"),
            at=time.time(),
        )
        chat = self.state.chats.get(query.user_id)
        if chat is not None:
            chat.callback_answers.append(answer)
            chat.changed.notify()
        return True

    async def set_my_commands(self, params: Params) -> bool:
        """setMyCommands, recorded per scope and language."""
        raw = params.get_json("commands")
        if not isinstance(raw, list):
            raise bad_request("can't parse commands JSON object")
        commands: list[Command] = []
        for item in raw:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command = str(item.get("command", "")).removeprefix("/")
            description = str(item.get("description", ""))
            if not _COMMAND.fullmatch(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("command description must be 1-256 characters long")
            commands.append(Command(command, description))
        self.state.commands[self._command_key(params)] = commands
        return True

    async def set_chat_menu_button(self, params: Params) -> bool:
        """setChatMenuButton: a Mini App button needs text and an https URL, as at Telegram."""
        chat_id = params.chat_id() if "chat_id" in params else None
        if chat_id is not None and not isinstance(chat_id, int):
            raise bad_request(CHAT_NOT_FOUND)
        button = params.get_json("menu_button") if "menu_button" in params else {}
        if not isinstance(button, dict):
            raise bad_request("can't parse menu button JSON object")
        if button.get("type") == "web_app":
            url = str((button.get("web_app") or {}).get("url", ""))
            if not url.startswith("https://") or not button.get("text"):
                raise bad_request("BUTTON_URL_INVALID")
        self.state.menu_buttons[chat_id] = button
        return True

    async def delete_my_commands(self, params: Params) -> bool:
        """deleteMyCommands."""
        self.state.commands.pop(self._command_key(params), None)
        return True

    async def get_my_commands(self, params: Params) -> list[dict[str, str]]:
        """getMyCommands for exactly that scope and language."""
        commands = self.state.commands.get(self._command_key(params), [])
        return [{"command": c.command, "description": c.description} for c in commands]

    async def close(self, params: Params) -> bool:
        """close: nothing to release in the sandbox."""
        return True

    def _command_key(self, params: Params) -> tuple[ScopeKey, str]:
        key = scope_key(params.get_json("scope"))
        if key[0] in {"chat", "chat_administrators", "chat_member"}:
            self.state.chat(key[1])  # type: ignore[arg-type]  # 400 unless the chat exists
        return key, params.get_str("language_code", "") or ""


def scope_key(scope: Any) -> ScopeKey:
    """A hashable key for a BotCommandScope (None means the default scope)."""
    if scope is None:
        return ("default",)
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = scope["type"]
    if kind in _SIMPLE_SCOPES:
        return (kind,)
    if kind in {"chat", "chat_administrators", "chat_member"}:
        chat_id = Params(scope).chat_id()
        if kind == "chat_member":
            return (kind, chat_id, Params(scope).required_int("user_id"))
        return (kind, chat_id)
    raise bad_request("unsupported BotCommandScope type")
