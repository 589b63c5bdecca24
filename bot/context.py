"""What handlers receive: a typed context carrying the process's services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.clock import Clock
from bot.config import Settings

if TYPE_CHECKING:
    from bot.delivery.dispatcher import Dispatcher
    from storage.database import Database


@dataclass
class Services:
    """Everything a handler may use; built once in the composition root."""

    settings: Settings
    clock: Clock
    database: Database
    dispatcher: Dispatcher | None = None


class BotData:
    """`application.bot_data`: holds the services once `post_init` has opened them."""

    def __init__(self) -> None:
        self._services: Services | None = None

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


class AppContext(CallbackContext[ExtBot[None], UserData, dict[Any, Any], BotData]):
    """The context every handler gets."""

    @property
    def services(self) -> Services:
        """The process's services."""
        return self.bot_data.services


def context_types() -> ContextTypes[AppContext, UserData, dict[Any, Any], BotData]:
    """The ContextTypes the Application is built with."""
    return ContextTypes(context=AppContext, user_data=UserData, bot_data=BotData)


# The Application type every module shares: our context, user data and bot data; no JobQueue
# (APScheduler is driven directly, see bot/delivery).
BotApp = Application[ExtBot[None], AppContext, UserData, dict[Any, Any], BotData, None]
