"""The buttons under a reminder: Booked (asks the date), Remind me in 3 days, Not for me.

Each press is checked against the presser's own patient (`reminder_for` looks the row up
scoped to them), so a forged or someone else's id only gets "no longer available". Every
press is idempotent; Booked's date question survives a restart because the button itself
is the entry point.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers.common import ask_to_start, current_patient, language_of, reply
from bot.handlers.flow import TextStep, ask_for_text, stop_asking
from bot.parsing.dates import DateNotUnderstoodError, ImpossibleDateError, parse_date
from bot.render import reminders as texts
from bot.render.reminders import BOOKED, NOT_FOR_ME, SNOOZE
from bot.usecases import reminders
from bot.usecases.planning import local_today
from bot.usecases.treatments import DateOutOfRangeError
from rules import Procedure

logger = logging.getLogger(__name__)

ASKING_DATE = 0
# The booking in progress: the procedure to log, in the user's drafts.
BOOKING_DRAFT = "reminder_booking"
STEP = "reminder:booked_date"


def _outbox_id(data: str | None, action: str) -> int | None:
    parts = callbacks.unpack(data, callbacks.REMINDER)
    if parts is None or len(parts) != 2 or parts[0] != action or not parts[1].isdigit():
        return None
    return int(parts[1])


async def on_snooze(update: Update, context: AppContext) -> None:
    """Remind me in 3 days."""
    query = update.callback_query
    assert query is not None
    patient = await current_patient(update, context)
    if patient is None:
        await query.answer()
        await ask_to_start(update)
        return
    t = language_of(update, patient)
    outbox_id = _outbox_id(query.data, SNOOZE)
    now = context.services.clock.now()
    try:
        if outbox_id is None:
            raise reminders.ReminderNotFoundError(query.data)
        snoozed = await reminders.snooze(context.services.database, patient, outbox_id, now)
    except (reminders.ReminderNotFoundError, reminders.NotActionableError):
        await query.answer(texts.gone(t), show_alert=True)
        return
    await query.answer()
    await reply(update, texts.snoozed(snoozed, t))


async def on_not_for_me(update: Update, context: AppContext) -> None:
    """Not for me: stop this reminder chain."""
    query = update.callback_query
    assert query is not None
    patient = await current_patient(update, context)
    if patient is None:
        await query.answer()
        await ask_to_start(update)
        return
    t = language_of(update, patient)
    outbox_id = _outbox_id(query.data, NOT_FOR_ME)
    now = context.services.clock.now()
    try:
        if outbox_id is None:
            raise reminders.ReminderNotFoundError(query.data)
        dismissed = await reminders.dismiss(context.services.database, patient, outbox_id, now)
    except (reminders.ReminderNotFoundError, reminders.NotActionableError):
        await query.answer(texts.gone(t), show_alert=True)
        return
    await query.answer()
    if not dismissed.already:
        # The buttons go: the chain they act on has stopped.
        await query.edit_message_reply_markup(reply_markup=None)
    await reply(update, texts.dismissed(dismissed, t))


async def on_booked(update: Update, context: AppContext) -> int:
    """Booked: ask for the date of the appointment."""
    query = update.callback_query
    assert query is not None
    patient = await current_patient(update, context)
    if patient is None:
        await query.answer()
        await ask_to_start(update)
        return ConversationHandler.END
    t = language_of(update, patient)
    outbox_id = _outbox_id(query.data, BOOKED)
    try:
        if outbox_id is None:
            raise reminders.ReminderNotFoundError(query.data)
        shown = await reminders.reminder_for(context.services.database, patient, outbox_id)
        procedure = reminders.bookable(shown)
    except (reminders.ReminderNotFoundError, reminders.NotActionableError):
        await query.answer(texts.gone(t), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    context.drafts[BOOKING_DRAFT] = procedure.value
    ask_for_text(context, STEP)
    await reply(update, texts.ask_booked_date(procedure, t))
    return ASKING_DATE


async def on_booked_date(update: Update, context: AppContext) -> int:
    """The typed date of the booking: log it as a planned entry."""
    message = update.effective_message
    assert message is not None
    patient = await current_patient(update, context)
    draft = context.drafts.get(BOOKING_DRAFT)
    if patient is None or draft is None:
        context.drafts.pop(BOOKING_DRAFT, None)
        stop_asking(context, STEP)
        return ConversationHandler.END
    t = language_of(update, patient)
    procedure = Procedure(draft)
    services = context.services
    now = services.clock.now()
    try:
        on = parse_date(
            message.text or "", today=local_today(patient, now), language=patient.language
        )
        booked = await reminders.book(services.database, patient, procedure, on, now)
    except (DateNotUnderstoodError, ImpossibleDateError):
        await reply(update, texts.date_not_understood(t))
        return ASKING_DATE
    except reminders.BookedDateInPastError:
        await reply(update, texts.date_in_past(t))
        return ASKING_DATE
    except DateOutOfRangeError:
        await reply(update, texts.date_out_of_range(t))
        return ASKING_DATE
    context.drafts.pop(BOOKING_DRAFT, None)
    stop_asking(context, STEP)
    await reply(update, texts.booked(booked, t))
    return ConversationHandler.END


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel while the date is asked."""
    context.drafts.pop(BOOKING_DRAFT, None)
    stop_asking(context, STEP)
    patient = await current_patient(update, context)
    await reply(update, texts.booking_cancelled(language_of(update, patient)))
    return ConversationHandler.END


def register(application: BotApp) -> None:
    """Register the reminder buttons and Booked's date question."""
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CallbackQueryHandler(
                    on_booked, pattern=f"^{callbacks.REMINDER}{callbacks.SEPARATOR}{BOOKED}:"
                )
            ],
            states={ASKING_DATE: [TextStep(application, STEP, on_booked_date)]},
            fallbacks=[CommandHandler("cancel", on_cancel)],
            # Booked on another reminder while one date is asked starts that one instead.
            allow_reentry=True,
            conversation_timeout=application.bot_data.settings.conversation_timeout,
            name="reminder_booking",
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            on_snooze, pattern=f"^{callbacks.REMINDER}{callbacks.SEPARATOR}{SNOOZE}:"
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            on_not_for_me, pattern=f"^{callbacks.REMINDER}{callbacks.SEPARATOR}{NOT_FOR_ME}:"
        )
    )
    # Any other "rm" data (forged, or from a future version) is answered, not ignored.
    application.add_handler(
        CallbackQueryHandler(on_unknown, pattern=callbacks.pattern(callbacks.REMINDER))
    )


async def on_unknown(update: Update, context: AppContext) -> None:
    """A reminder button this version does not know."""
    query = update.callback_query
    assert query is not None
    patient = await current_patient(update, context)
    await query.answer(texts.gone(language_of(update, patient)), show_alert=True)
