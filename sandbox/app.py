"""`Sandbox`: a Bot API server in this process, and the Python API that drives it."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self

from aiohttp import web

from sandbox.control import add_control_routes
from sandbox.faults import FaultConfig, FaultInjector, FaultKind
from sandbox.gate import DedupeKey, SendGate
from sandbox.groups import SandboxGroup
from sandbox.limits import PAID_RATE, RateLimiter, RateLimits
from sandbox.methods import BotApi, scope_key
from sandbox.records import BotMessage, Command, SandboxStats, SentRecord
from sandbox.server import add_bot_api_routes, add_fallback_route
from sandbox.state import BotProfile, ChatState, GroupProfile, SandboxState
from sandbox.users import SandboxUser
from sandbox.waiting import Activity
from sandbox.webhook import WebhookDelivery

_TOKEN = re.compile(r"(\d+):[A-Za-z0-9_-]+")
_IDLE_POLL_SECONDS = 0.02
# Long polls and held requests are woken on stop; this only bounds a stuck handler.
_SHUTDOWN_TIMEOUT_SECONDS = 2.0


class _HasToDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class Sandbox:
    """A Bot API server for one bot token, with users a test (or a person) can play."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "interval_test_bot",
        *,
        bot_name: str = "Interval (sandbox)",
        host: str = "127.0.0.1",
        port: int = 0,
        overall_rate: int | None = None,
        per_chat_rate: int | None = None,
        paid_rate: int = PAID_RATE,
        faults: FaultConfig | None = None,
        seed: int | None = None,
        dedupe_key: DedupeKey | None = None,
        access_log: bool = False,
    ) -> None:
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise ValueError(f"a bot token looks like '123456:ABC-def_1', got {token!r}")
        self.token = token
        self.bot_username = bot_username
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._initial_limits = RateLimits(overall_rate, per_chat_rate, paid_rate)
        self._initial_faults = faults or FaultConfig()
        self._state = SandboxState(BotProfile(int(match.group(1)), bot_name, bot_username))
        self._limiter = RateLimiter(self._initial_limits)
        self._faults = FaultInjector(self._initial_faults, default_seed=seed)
        self._gate = SendGate(self._state, self._limiter, self._faults)
        self._gate.dedupe_key = dedupe_key
        self._activity = Activity()
        self._webhook = WebhookDelivery(self._state.updates, self._activity.touch)
        self._api = BotApi(self._state, self._gate, self._webhook, self._activity)
        self._users: dict[int, SandboxUser] = {}
        self._runner: web.AppRunner | None = None
        self._access_log = access_log

    # --- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one; a restart keeps the same port)."""
        if self._runner is not None:
            raise RuntimeError("the sandbox is already running")
        self._gate.reopen()
        self._api.closing = False
        app = web.Application()
        add_bot_api_routes(app, self._api, self.token)
        add_control_routes(app, self)
        add_fallback_route(app)
        if self._access_log:
            runner = web.AppRunner(app, shutdown_timeout=_SHUTDOWN_TIMEOUT_SECONDS)
        else:
            # Benchmarks push ~1,000 requests/s; a line per request would be the bottleneck.
            runner = web.AppRunner(app, shutdown_timeout=_SHUTDOWN_TIMEOUT_SECONDS, access_log=None)
        await runner.setup()
        # After a stop, come back on the same port so a running bot reconnects.
        site = web.TCPSite(runner, self.host, self._port or self._requested_port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])
        self._webhook.resume()

    async def stop(self) -> None:
        """Wake every waiting request, stop webhook delivery and close the server."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._api.closing = True
        self._gate.close()
        self._api.wake_pollers()
        for chat in self._state.chats.values():
            chat.changed.notify()
        await self._webhook.pause()
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- addresses --------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the sandbox listens on (known once started)."""
        if self._port is None:
            raise RuntimeError("the sandbox has not been started")
        return self._port

    @property
    def url(self) -> str:
        """The server's root URL, e.g. http://127.0.0.1:8081."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What python-telegram-bot takes as `base_url` (TELEGRAM_BASE_URL)."""
        return f"{self.url}/bot"

    @property
    def control_url(self) -> str:
        """The root of the control API."""
        return f"{self.url}/_sandbox"

    @property
    def bot_id(self) -> int:
        """The bot's user id (the number before ':' in the token)."""
        return self._state.bot.id

    # --- users ------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> SandboxUser:
        """The user with this id (created on first use); given profile fields are updated."""
        chat = self._state.ensure_user(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        user = self._users.get(user_id)
        if user is None:
            user = SandboxUser(self._state, self._api.messaging, chat, self.wait_until_idle)
            self._users[user_id] = user
        return user

    def group(
        self, chat_id: int, title: str = "Clinic chat", *, kind: str = "supergroup"
    ) -> SandboxGroup:
        """The group with this (negative) id, created on first use."""
        if chat_id >= 0:
            raise ValueError(f"group and channel ids are negative, got {chat_id}")
        if kind not in ("group", "supergroup", "channel"):
            raise ValueError(f"a group is a group, supergroup or channel, got {kind!r}")
        chat = self._state.groups.get(chat_id)
        if chat is None:
            chat = self._state.groups[chat_id] = ChatState(GroupProfile(chat_id, title, kind))
        return SandboxGroup(self._state, self._api.messaging, chat, self.wait_until_idle)

    def has_user(self, user_id: int) -> bool:
        """Whether a user with this id exists."""
        return user_id in self._state.chats

    @property
    def users(self) -> list[SandboxUser]:
        """Every user played so far."""
        return [self.user(user_id) for user_id in self._state.chats]

    def push_update(self, update: Mapping[str, Any]) -> int:
        """Queue a raw update (without update_id) for the bot; return its update_id."""
        body = {key: value for key, value in update.items() if key != "update_id"}
        if len(body) != 1:
            raise ValueError(f"an update has exactly one field besides update_id, got {list(body)}")
        return self._state.updates.push(body)

    # --- what the bot did -------------------------------------------------------------

    @property
    def sent(self) -> Sequence[SentRecord]:
        """Every accepted send and edit, in order (a live view; do not modify)."""
        return self._state.sent

    def messages(self, chat_id: int) -> list[BotMessage]:
        """Every message the bot sent to this chat, in order."""
        chat = self._state.chats.get(chat_id)
        return list(chat.history) if chat else []

    def commands(
        self, scope: Mapping[str, Any] | _HasToDict | None = None, language_code: str = ""
    ) -> list[Command]:
        """The command menu last set for exactly this scope and language ([] if none)."""
        raw = scope.to_dict() if scope is not None and hasattr(scope, "to_dict") else scope
        key = scope_key(dict(raw) if raw is not None else None)
        return list(self._state.commands.get((key, language_code), []))

    def menu_button(self, chat_id: int | None) -> dict[str, Any] | None:
        """The menu button the bot set for a chat (None: it set none)."""
        return self._state.menu_buttons.get(chat_id)

    def webhook_info(self) -> dict[str, Any]:
        """What getWebhookInfo would answer now."""
        return self._webhook.info()

    @property
    def stats(self) -> SandboxStats:
        """A snapshot of the counters."""
        counters = self._state.counters
        return SandboxStats(
            delivered=counters.delivered,
            rejected_429=counters.rejected_429,
            injected=dict(counters.injected),
            forbidden_403=counters.forbidden_403,
            bad_request_400=counters.bad_request_400,
            max_per_second=self._limiter.max_per_second,
            max_paid_per_second=self._limiter.max_paid_per_second,
            max_per_chat_per_second=self._limiter.max_per_chat_per_second,
            duplicates=counters.duplicates,
            calls=dict(counters.calls),
        )

    # --- behaviour --------------------------------------------------------------------

    @property
    def limits(self) -> RateLimits:
        """The rate limits in force."""
        return self._limiter.limits

    def set_limits(
        self,
        overall_rate: int | None = None,
        per_chat_rate: int | None = None,
        paid_rate: int = PAID_RATE,
    ) -> None:
        """Enforce at most N sends in any rolling second (overall, per chat); None = no limit.

        Sends with `allow_paid_broadcast` count against `paid_rate` instead of the overall.
        """
        self._limiter.limits = RateLimits(overall_rate, per_chat_rate, paid_rate)

    def inject_faults(
        self,
        rate: float,
        kinds: Iterable[FaultKind] = ("429",),
        seed: int | None = None,
        *,
        retry_after: int = 1,
        slow_seconds: float = 1.0,
        hang_seconds: float = 10.0,
    ) -> None:
        """Fail this share of sends with one of `kinds`; the same seed gives the same faults."""
        self._faults.configure(
            FaultConfig(
                rate=rate,
                kinds=tuple(kinds),
                seed=seed,
                retry_after=retry_after,
                slow_seconds=slow_seconds,
                hang_seconds=hang_seconds,
            )
        )

    def fail_next(self, kind: FaultKind, times: int = 1, *, chat_id: int | None = None) -> None:
        """Fail the next `times` sends (to `chat_id`, or to any chat) with `kind`."""
        self._faults.script(kind, times, chat_id)

    def clear_faults(self) -> None:
        """No more injected faults, random or scripted."""
        self._faults.configure(FaultConfig())
        self._faults.clear_scripted()

    @property
    def faults(self) -> FaultConfig:
        """The random fault configuration in force."""
        return self._faults.config

    def set_dedupe_key(self, dedupe_key: DedupeKey | None) -> None:
        """Count a send as a duplicate when this key (if not None) was seen before."""
        self._gate.dedupe_key = dedupe_key

    def set_webhook_backends(self, urls: Iterable[str]) -> None:
        """Deliver webhook updates round-robin to these URLs ([] = the registered URL)."""
        backends = list(urls)
        for url in backends:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"a webhook backend is an http(s) URL, got {url!r}")
        self._webhook.backends = backends

    @property
    def webhook_backends(self) -> list[str]:
        """The backend URLs webhook updates are spread over ([] = the registered URL)."""
        return list(self._webhook.backends)

    async def wait_until_idle(
        self,
        quiet: float = 0.3,
        timeout: float = 10.0,  # noqa: ASYNC109  # a test's deadline to fail with a report, not a cancellation
    ) -> None:
        """Wait until every update was taken and no Bot API call happened for `quiet` s."""
        deadline = time.monotonic() + timeout
        queue = self._state.updates
        while True:
            pending = len(queue) if self._webhook.active else queue.unfetched
            busy = self._webhook.in_flight + self._activity.in_flight
            if pending == 0 and busy == 0 and self._activity.quiet_for() >= quiet:
                return
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"the sandbox was not idle within {timeout:g} s: {pending} update(s) not "
                    f"taken by the bot, {busy} request(s) in flight"
                )
            await asyncio.sleep(_IDLE_POLL_SECONDS)

    def reset(self) -> None:
        """Forget users, messages, updates and counters; limits and faults as constructed.

        SandboxUser objects from before the reset are stale: call `user()` again.
        """
        self._state.reset()
        self._users.clear()
        self._limiter.limits = self._initial_limits
        self._limiter.reset_counters()
        self._faults.configure(self._initial_faults)
        self._faults.clear_scripted()
