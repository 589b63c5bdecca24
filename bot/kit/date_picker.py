"""One date picker for every flow that asks for a date: /log, a new date in /history, Booked.

It shows a month calendar (◀ ▶, Yesterday, Today) and also reads a typed date, answering
the same three errors everywhere (not a date, a day that does not exist, a date out of
range). A flow describes itself as a `DateQuestion` keyed by whatever identifies what the
date is for (a procedure, an entry, a reminder); the picker hands it the date once it is
one. Day and month buttons carry that key, so a calendar still works after a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Generic, Protocol, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler

from bot.callbacks import CallbackData, Month
from bot.context import AppContext, BotApp
from bot.drafts import CalendarScreen
from bot.i18n import Translator
from bot.kit.buttons import Button, Unpacker
from bot.kit.screens import answer, replace_keyboard, reply, retire_keyboard, show
from bot.kit.text_steps import TextStep, ask_for_text, stop_asking
from bot.parsing.dates import DateNotUnderstoodError, ImpossibleDateError, parse_date
from bot.render.calendar import calendar_keyboard
from bot.render.common import ask_to_start
from bot.render.dates import impossible_date_text, not_a_date_text, out_of_range_text
from bot.usecases.planning import local_today
from bot.usecases.treatments import date_bounds
from storage.records import Patient

K = TypeVar("K")
K_co = TypeVar("K_co", covariant=True)


class DayPress(Protocol[K_co]):
    """A calendar day button: what the date is for, and the day."""

    @property
    def key(self) -> K_co:
        """What the date is for."""
        ...

    @property
    def on(self) -> date:
        """The day pressed."""
        ...


class MonthPress(Protocol[K_co]):
    """A calendar arrow: what the date is for, and the month to show."""

    @property
    def key(self) -> K_co:
        """What the date is for."""
        ...

    @property
    def month(self) -> Month:
        """The month to show."""
        ...


class DateQuestion(Protocol[K]):
    """What a flow tells the picker about the date it asks for."""

    @property
    def step(self) -> str:
        """The name of the typed-text step (see `bot.kit.text_steps`)."""
        ...

    @property
    def state(self) -> int:
        """The conversation state while the date is asked."""
        ...

    def day(self, key: K, on: date) -> CallbackData:
        """The data of a day button."""
        ...

    def month(self, key: K, month: Month) -> CallbackData:
        """The data of a month arrow."""
        ...

    def footer(self, key: K, t: Translator) -> Sequence[InlineKeyboardButton]:
        """Buttons under the calendar (Cancel, Back), if any."""
        ...

    def pending(self, context: AppContext) -> K | None:
        """What the open question is for, from the flow's draft (for a typed date)."""
        ...

    async def check(self, update: Update, context: AppContext, key: K) -> bool:
        """Whether `key` is still the presser's to act on; if not, answer the press."""
        ...

    async def chosen(self, update: Update, context: AppContext, key: K, on: date) -> int:
        """Act on the date; the next state (the picker's own state: ask again).

        Before showing what comes next, call the picker's `moved_on`.
        """
        ...


class DatePicker(Generic[K]):
    """A calendar and a typed date for one `DateQuestion`."""

    def __init__(
        self,
        question: DateQuestion[K],
        days: Unpacker[DayPress[K]],
        months: Unpacker[MonthPress[K]],
    ) -> None:
        self.question = question
        self._days = days
        self._months = months

    def calendar(self, key: K, month: Month, today: date, t: Translator) -> InlineKeyboardMarkup:
        """The calendar keyboard for `key` at `month`."""
        question = self.question
        return calendar_keyboard(
            month,
            today=today,
            t=t,
            pick=lambda day: question.day(key, day),
            navigate=lambda shown: question.month(key, shown),
            footer=question.footer(key, t),
        )

    async def ask(
        self,
        update: Update,
        context: AppContext,
        patient: Patient,
        key: K,
        month: Month,
        prompt: str,
        *,
        in_place: bool = True,
    ) -> int:
        """Show `prompt` with the calendar (editing the pressed message, or as a new one)."""
        today = local_today(patient, context.services.clock.now())
        markup = self.calendar(key, month, today, context.t)
        screen = await (show if in_place else reply)(update, prompt, markup)
        if screen is not None:
            context.flows.calendar = CalendarScreen(self.question.step, screen)
        ask_for_text(context, self.question.step)
        return self.question.state

    def entry_points(self) -> list[BaseHandler[Update, AppContext, object]]:
        """The day and month buttons (entry points: they carry everything they need)."""
        return [Button(self._days, self._day_pressed), Button(self._months, self._month_pressed)]

    def text_step(self, application: BotApp) -> TextStep:
        """The handler of a typed date, while this question is the one asked last."""
        return TextStep(application, self.question.step, self._typed)

    async def _day_pressed(
        self, update: Update, context: AppContext, pressed: DayPress[K]
    ) -> int | None:
        if context.patient is None:
            await answer(update, context)
            await reply(update, ask_to_start(context.t))
            return None
        if not await self.question.check(update, context, pressed.key):
            return None
        await answer(update, context)
        return await self._take(update, context, pressed.key, pressed.on)

    async def _month_pressed(
        self, update: Update, context: AppContext, pressed: MonthPress[K]
    ) -> int | None:
        patient = context.patient
        if patient is None:
            await answer(update, context)
            await reply(update, ask_to_start(context.t))
            return None
        if not await self.question.check(update, context, pressed.key):
            return None
        await answer(update, context)
        today = local_today(patient, context.services.clock.now())
        await replace_keyboard(update, self.calendar(pressed.key, pressed.month, today, context.t))
        # A button press clears the wait for text (text_steps): the date may still be typed.
        ask_for_text(context, self.question.step)
        return self.question.state

    async def _typed(self, update: Update, context: AppContext) -> int | None:
        question = self.question
        message = update.effective_message
        patient = context.patient
        key = question.pending(context)
        if message is None or patient is None or key is None:
            stop_asking(context, question.step)
            await reply(update, ask_to_start(context.t))
            return None
        t = context.t
        today = local_today(patient, context.services.clock.now())
        text = message.text or ""
        try:
            on = parse_date(text, today=today, language=patient.language)
        except ImpossibleDateError as error:
            await reply(update, impossible_date_text(str(error), t))
            return question.state
        except DateNotUnderstoodError:
            await reply(update, not_a_date_text(t))
            return question.state
        return await self._take(update, context, key, on)

    async def _take(self, update: Update, context: AppContext, key: K, on: date) -> int:
        """Hand a date to the flow, unless it is out of range; keep asking if told to."""
        question = self.question
        patient = context.patient
        assert patient is not None  # both callers checked
        today = local_today(patient, context.services.clock.now())
        first, last = date_bounds(today)
        if not first <= on <= last:
            await reply(update, out_of_range_text(today, context.t))
            ask_for_text(context, question.step)
            return question.state
        stop_asking(context, question.step)
        state = await question.chosen(update, context, key, on)
        if state == question.state:
            ask_for_text(context, question.step)
        return state

    async def moved_on(self, update: Update, context: AppContext) -> None:
        """The flow leaves the date behind: a typed date retires the calendar's buttons.

        A flow calls this before it shows its next screen (a pressed day edits the calendar
        into that screen anyway).
        """
        screen = context.flows.calendar
        chat = update.effective_chat
        if screen is None or screen.step != self.question.step:
            return
        context.flows.calendar = None
        if update.callback_query is None and chat is not None:
            await retire_keyboard(context, chat.id, screen.message_id)
