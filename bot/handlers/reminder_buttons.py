"""The buttons under a reminder: Booked (asks the date), Remind me in 3 days, Not for me.

Each press is checked against the presser's own patient (the use-cases look the row up
scoped to them), so a forged or someone else's id only gets "no longer available". Every
press is idempotent. Booked asks for the date with the date picker; its calendar buttons
carry the reminder's id and the date, so they still work after a restart.
"""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.buttons import BookingDay, BookingMonth, ReminderBooked, ReminderNotForMe, ReminderSnooze
from bot.callbacks import CallbackData, Month
from bot.context import AppContext, BotApp
from bot.drafts import BookingDraft
from bot.i18n import Translator
from bot.kit.buttons import Button
from bot.kit.conversation import conversation
from bot.kit.date_picker import DatePicker
from bot.kit.screens import answer, drop_buttons, reply
from bot.render import reminders as texts
from bot.render.common import ask_to_start
from bot.render.keyboards import Row
from bot.usecases import reminders
from bot.usecases.planning import local_today
from rules import Procedure
from storage.records import Patient

ASKING_DATE = 0
END = ConversationHandler.END


class _BookedDate:
    """The date of a booking: keyed by the reminder whose "Booked" was pressed."""

    step = "reminder:booked_date"
    state = ASKING_DATE

    def day(self, key: int, on: date) -> CallbackData:
        return BookingDay(key, on)

    def month(self, key: int, month: Month) -> CallbackData:
        return BookingMonth(key, month)

    def footer(self, key: int, t: Translator) -> Row:
        return []

    def pending(self, context: AppContext) -> int | None:
        draft = context.flows.booking
        return draft.reminder if draft is not None else None

    async def check(self, update: Update, context: AppContext, key: int) -> bool:
        return await _bookable(update, context, key) is not None

    async def chosen(self, update: Update, context: AppContext, key: int, on: date) -> int:
        patient = context.patient
        assert patient is not None  # the date picker checked
        services, t = context.services, context.t
        try:
            booked = await reminders.book_from_reminder(
                services.database, patient, key, on, services.clock.now()
            )
        except (reminders.ReminderNotFoundError, reminders.NotActionableError):
            context.flows.booking = None
            await answer(update, context, texts.gone(t), alert=True)
            return END
        except reminders.BookedDateInPastError:
            await reply(update, texts.date_in_past(t))
            return ASKING_DATE
        context.flows.booking = None
        await PICKER.moved_on(update, context)
        await drop_buttons(update)
        await reply(update, texts.booked(booked, t))
        return END


PICKER = DatePicker(_BookedDate(), BookingDay, BookingMonth)


async def _patient(update: Update, context: AppContext) -> Patient | None:
    patient = context.patient
    if patient is None:
        await answer(update, context)
        await reply(update, ask_to_start(context.t))
    return patient


async def _bookable(
    update: Update, context: AppContext, outbox_id: int
) -> tuple[Patient, reminders.ReminderOnScreen, Procedure] | None:
    patient = await _patient(update, context)
    if patient is None:
        return None
    try:
        shown, procedure = await reminders.bookable_reminder(
            context.services.database, patient, outbox_id
        )
    except (reminders.ReminderNotFoundError, reminders.NotActionableError):
        await answer(update, context, texts.gone(context.t), alert=True)
        return None
    return patient, shown, procedure


async def on_snooze(update: Update, context: AppContext, pressed: ReminderSnooze) -> None:
    """Remind me in 3 days."""
    patient = await _patient(update, context)
    if patient is None:
        return
    services, t = context.services, context.t
    try:
        snoozed = await reminders.snooze(
            services.database, patient, pressed.reminder, services.clock.now()
        )
    except (reminders.ReminderNotFoundError, reminders.NotActionableError):
        await answer(update, context, texts.gone(t), alert=True)
        return
    await answer(update, context)
    await reply(update, texts.snoozed(snoozed, t))


async def on_not_for_me(update: Update, context: AppContext, pressed: ReminderNotForMe) -> None:
    """Not for me: stop this reminder chain."""
    patient = await _patient(update, context)
    if patient is None:
        return
    services, t = context.services, context.t
    try:
        dismissed = await reminders.dismiss(
            services.database, patient, pressed.reminder, services.clock.now()
        )
    except (reminders.ReminderNotFoundError, reminders.NotActionableError):
        await answer(update, context, texts.gone(t), alert=True)
        return
    await answer(update, context)
    if not dismissed.already:
        # The buttons go: the chain they act on has stopped.
        await drop_buttons(update)
    await reply(update, texts.dismissed(dismissed, t))


async def on_booked(update: Update, context: AppContext, pressed: ReminderBooked) -> int:
    """Booked: ask for the date of the appointment, with a calendar."""
    found = await _bookable(update, context, pressed.reminder)
    if found is None:
        return END
    patient, shown, procedure = found
    await answer(update, context)
    today = local_today(patient, context.services.clock.now())
    month = Month.of(max(today, shown.chain.on if shown.chain else today))
    context.flows.booking = BookingDraft(pressed.reminder, procedure)
    prompt = texts.ask_booked_date(procedure, context.t)
    return await PICKER.ask(
        update, context, patient, pressed.reminder, month, prompt, in_place=False
    )


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel while the date is asked."""
    context.flows.booking = None
    await reply(update, texts.booking_cancelled(context.t))
    return END


async def on_unknown(update: Update, context: AppContext) -> None:
    """A reminder button this version does not know, or whose data was mangled."""
    await answer(update, context, texts.gone(context.t), alert=True)


def register(application: BotApp) -> None:
    """Register the reminder buttons and Booked's date question."""
    application.add_handler(
        conversation(
            application,
            "reminder_booking",
            # Every button is an entry point: each carries its own ids and dates; Booked on
            # another reminder while one date is asked starts that one instead.
            entry_points=[Button(ReminderBooked, on_booked), *PICKER.entry_points()],
            states={ASKING_DATE: [PICKER.text_step(application)]},
            fallbacks=[CommandHandler("cancel", on_cancel)],
        )
    )
    application.add_handler(Button(ReminderSnooze, on_snooze))
    application.add_handler(Button(ReminderNotForMe, on_not_for_me))
    # Any other "rm" data (forged, or from a future version) is answered, not ignored.
    application.add_handler(CallbackQueryHandler(on_unknown, pattern=r"^rm(:|$)"))
