"""What handlers receive: a typed context carrying the process's services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ContextTypes, JobQueue

from bot.clock import Clock
from bot.config import Settings
from bot.delivery.transport import ReplyBot
from bot.drafts import (
    AftercareDraft,
    AnswerDraft,
    BookingDraft,
    BroadcastDraft,
    CalendarScreen,
    DeleteRequest,
    GuidanceDraft,
    HistoryDraft,
    LogDraft,
    PendingLink,
    QuestionDraft,
)
from bot.i18n import Translator, translator
from bot.usecases.broadcasts import SendingLimits
from storage.records import Patient

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

    @property
    def sending_limits(self) -> SendingLimits:
        """How often a clinic may broadcast (BROADCAST_COOLDOWN_MINUTES, _DAILY_CAP)."""
        return SendingLimits(
            timedelta(minutes=self.settings.broadcast_cooldown_minutes),
            self.settings.broadcast_daily_cap,
        )


class BotData:
    """`application.bot_data`: settings from the start, services once `post_init` opened them."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self._settings: Settings | None = None
        # Deep-link payloads (/start PAYLOAD) by their prefix ("j_" a clinic's join link,
        # "s_" a staff invite, "c_" a command opened from a group); each flow adds its own.
        self.payload_handlers: dict[str, PayloadHandler] = {}

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


class UserData:
    """Per-user conversation state (in memory; a restart ends open flows): one slot a flow.

    `awaiting` names the question asked last whose answer is typed text (see
    `bot.kit.text_steps`); every other slot is that flow's frozen draft, or None.
    """

    __slots__ = (
        "aftercare",
        "answer",
        "awaiting",
        "booking",
        "broadcast",
        "calendar",
        "delete",
        "guidance",
        "history",
        "link",
        "log",
        "question",
    )

    def __init__(self) -> None:
        self.awaiting: str | None = None
        self.calendar: CalendarScreen | None = None
        self.link: PendingLink | None = None
        self.log: LogDraft | None = None
        self.history: HistoryDraft | None = None
        self.booking: BookingDraft | None = None
        self.delete: DeleteRequest | None = None
        self.broadcast: BroadcastDraft | None = None
        self.guidance: GuidanceDraft | None = None
        self.aftercare: AftercareDraft | None = None
        self.question: QuestionDraft | None = None
        self.answer: AnswerDraft | None = None


@dataclass(frozen=True, slots=True)
class Who:
    """Who sent an update: their stored patient row (consented or not) and their language.

    Resolved once per update, before any handler runs (`bot.kit.who`).
    """

    user_id: int | None
    record: Patient | None
    t: Translator

    @property
    def patient(self) -> Patient | None:
        """The patient, if they have consented; None for everyone else."""
        if self.record is None or self.record.consent_at is None:
            return None
        return self.record

    def with_patient(self, patient: Patient | None) -> Who:
        """The same person after a use-case changed their row (language included)."""
        language = patient.language if patient is not None and patient.consent_at else None
        t = translator(language) if language else self.t
        return Who(self.user_id, patient, t)


PayloadHandler = Callable[["Update", "AppContext", str], Awaitable[None]]


class AppContext(CallbackContext[ReplyBot, UserData, dict[Any, Any], BotData]):
    """The context every handler gets: one per update, shared by every handler group."""

    _who: Who | None = None
    _spare: UserData | None = None
    # Whether this update's button press was answered (Telegram takes one answer).
    answered: bool = False

    @property
    def services(self) -> Services:
        """The process's services."""
        return self.bot_data.services

    @property
    def who(self) -> Who:
        """Who sent this update (resolved before any handler ran)."""
        if self._who is None:
            raise RuntimeError("`who` is resolved by bot.kit.who before the handlers run")
        return self._who

    @who.setter
    def who(self, value: Who) -> None:
        self._who = value

    @property
    def patient(self) -> Patient | None:
        """The consenting patient behind this update, or None."""
        return self.who.patient

    @property
    def t(self) -> Translator:
        """The sender's language: their patient setting, else Telegram's, else English."""
        return self.who.t

    @property
    def jobs(self) -> JobQueue[AppContext]:
        """The process's job queue (PTB's wrapper around APScheduler)."""
        queue: object = self.application.job_queue
        if not isinstance(queue, JobQueue):
            raise TypeError("the application is built with a JobQueue")
        return queue

    @property
    def flows(self) -> UserData:
        """This user's flow state; a throw-away one for updates without a user."""
        if self.user_data is not None:
            return self.user_data
        if self._spare is None:
            self._spare = UserData()
        return self._spare


def context_types() -> ContextTypes[AppContext, UserData, dict[Any, Any], BotData]:
    """The ContextTypes the Application is built with."""
    return ContextTypes(context=AppContext, user_data=UserData, bot_data=BotData)


# The Application type every module shares. Its JobQueue is PTB's wrapper around APScheduler's
# AsyncIOScheduler: it wakes the dispatcher and ends idle conversations. It holds no domain
# state: reminders live in the outbox table.
BotApp = Application[ReplyBot, AppContext, UserData, dict[Any, Any], BotData, JobQueue[AppContext]]
