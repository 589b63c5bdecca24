"""What handlers receive: a typed context carrying the process's services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.clock import Clock
from bot.config import Settings

if TYPE_CHECKING:
    from telegram import Update

    from bot.delivery.dispatcher import Dispatcher
    from storage.database import Database


@dataclass
class Services:
    """Everything a handler may use; built once in the composition root."""

    settings: Settings
    clock: Clock
    database: Database
    # Sends the outbox; `wake()` it after adding a row that is due now.
    dispatcher: Dispatcher


class BotData:
    """`application.bot_data`: settings from the start, services once `post_init` opened them."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self._settings: Settings | None = None
        # Deep-link payloads (/start PAYLOAD) are answered by the clinics flow, which sets this.
        self.payload_handler: PayloadHandler | None = None

    @property
    def settings(self) -> Settings:
        """The process settings, set when the application is built."""
        if self._settings is None:
            raise RuntimeError("settings are not set: build the application with build_application")
        return self._settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self._settings = value

    @property
    def services(self) -> Services:
        """The services; only valid after the application has initialised."""
        if self._services is None:
            raise RuntimeError("services are not ready: the application has not initialised")
        return self._services

    @services.setter
    def services(self, value: Services) -> None:
        self._services = value

    @property
    def is_ready(self) -> bool:
        """Whether `post_init` has set the services."""
        return self._services is not None


@dataclass
class UserData:
    """Per-user conversation scratch space (in memory; a restart ends open flows)."""

    drafts: dict[str, Any] = field(default_factory=dict)


PayloadHandler = Callable[["Update", "AppContext", str], Awaitable[None]]


class AppContext(CallbackContext[ExtBot[None], UserData, dict[Any, Any], BotData]):
    """The context every handler gets."""

    @property
    def services(self) -> Services:
        """The process's services."""
        return self.bot_data.services

    @property
    def drafts(self) -> dict[str, Any]:
        """This user's in-progress flow values (empty for updates without a user)."""
        if self.user_data is None:
            return {}
        return self.user_data.drafts


def context_types() -> ContextTypes[AppContext, UserData, dict[Any, Any], BotData]:
    """The ContextTypes the Application is built with."""
    return ContextTypes(context=AppContext, user_data=UserData, bot_data=BotData)


# The Application type every module shares. Its JobQueue is PTB's wrapper around APScheduler's
# AsyncIOScheduler: it wakes the dispatcher and ends idle conversations. It holds no domain
# state: reminders live in the outbox table.
BotApp = Application[
    ExtBot[None], AppContext, UserData, dict[Any, Any], BotData, JobQueue[AppContext]
]
