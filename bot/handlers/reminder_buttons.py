"""The buttons under a reminder: Booked (asks the date), Remind me in 3 days, Not for me.

Each press is checked against the presser's own patient (`reminder_for` looks the row up
scoped to them), so a forged or someone else's id only gets "no longer available". Every
press is idempotent. Booked shows a calendar and also reads a typed date; each calendar
button carries the reminder's id and the date, so it still works after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers.common import ask_to_start, current_patient, language_of, reply
from bot.handlers.flow import TextStep, ask_for_text, drop_buttons, stop_asking
from bot.i18n import Translator
from bot.keyboards.calendar import (
    calendar_keyboard,
    month_of,
    pack_day,
    pack_month,
    unpack_day,
    unpack_month,
)
from bot.parsing.dates import DateNotUnderstoodError, ImpossibleDateError, parse_date
from bot.render import reminders as texts
from bot.render.reminders import BOOKED, NOT_FOR_ME, SNOOZE
from bot.usecases import reminders
from bot.usecases.planning import local_today
from bot.usecases.treatments import DateOutOfRangeError
from rules import Procedure
from storage.records import Patient

logger = logging.getLogger(__name__)

ASKING_DATE = 0
# The booking in progress: the procedure to log, in the user's drafts.
BOOKING_DRAFT = "reminder_booking"
STEP = "reminder:booked_date"
# Calendar buttons of a booking: a day picked, another month shown.
DAY = "d"
MONTH = "m"


def _outbox_id(data: str | None, action: str) -> int | None:
    parts = callbacks.unpack(data, callbacks.REMINDER)
    if parts is None or len(parts) != 2 or parts[0] != action or not parts[1].isdigit():
        return None
    return int(parts[1])


def _calendar_press(data: str | None, action: str) -> tuple[int, str] | None:
    """(outbox id, packed day or month) of a calendar button, or None if malformed."""
    parts = callbacks.unpack(data, callbacks.REMINDER)
    if parts is None or len(parts) != 3 or parts[0] != action or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


def _calendar(outbox_id: int, month: date, today: date, t: Translator) -> InlineKeyboardMarkup:
    return calendar_keyboard(
        month,
        today=today,
        t=t,
        pick=lambda day: callbacks.pack(callbacks.REMINDER, DAY, outbox_id, pack_day(day)),
        navigate=lambda first: callbacks.pack(
            callbacks.REMINDER, MONTH, outbox_id, pack_month(first)
        ),
    )


async def _shown(
    update: Update, context: AppContext, outbox_id: int | None
) -> tuple[Patient, Translator, reminders.ReminderOnScreen] | None:
    """The presser's patient and the reminder they pressed on; None (answered) otherwise."""
    query = update.callback_query
    assert query is not None
    patient = await current_patient(update, context)
    if patient is None:
        await query.answer()
        await ask_to_start(update)
        return None
    t = language_of(update, patient)
    try:
        if outbox_id is None:
            raise reminders.ReminderNotFoundError(query.data)
        shown = await reminders.reminder_for(context.services.database, patient, outbox_id)
    except reminders.ReminderNotFoundError:
        await query.answer(texts.gone(t), show_alert=True)
        return None
    return patient, t, shown


async def _calendar_pressed(
    update: Update, context: AppContext, action: str, unpack: Callable[[str], date | None]
) -> tuple[Patient, Translator, reminders.ReminderOnScreen, date] | None:
    """A calendar button's patient, language, reminder and date; None (answered) otherwise."""
    query = update.callback_query
    assert query is not None
    press = _calendar_press(query.data, action)
    value = unpack(press[1]) if press else None
    found = await _shown(update, context, press[0] if press else None)
    if found is None:
        return None
    if value is None:
        await query.answer(texts.gone(found[1]), show_alert=True)
        return None
    return (*found, value)


async def on_snooze(update: Update, context: AppContext) -> None:
    """Remind me in 3 days."""
    query = update.callback_query
    assert query is not None
    found = await _shown(update, context, _outbox_id(query.data, SNOOZE))
    if found is None:
        return
    patient, t, shown = found
    now = context.services.clock.now()
    try:
        snoozed = await reminders.snooze(context.services.database, patient, shown.message.id, now)
    except (reminders.ReminderNotFoundError, reminders.NotActionableError):
        await query.answer(texts.gone(t), show_alert=True)
        return
    await query.answer()
    await reply(update, texts.snoozed(snoozed, t))


async def on_not_for_me(update: Update, context: AppContext) -> None:
    """Not for me: stop this reminder chain."""
    query = update.callback_query
    assert query is not None
    found = await _shown(update, context, _outbox_id(query.data, NOT_FOR_ME))
    if found is None:
        return
    patient, t, shown = found
    now = context.services.clock.now()
    try:
        dismissed = await reminders.dismiss(
            context.services.database, patient, shown.message.id, now
        )
    except (reminders.ReminderNotFoundError, reminders.NotActionableError):
        await query.answer(texts.gone(t), show_alert=True)
        return
    await query.answer()
    if not dismissed.already:
        # The buttons go: the chain they act on has stopped.
        await drop_buttons(update)
    await reply(update, texts.dismissed(dismissed, t))


async def on_booked(update: Update, context: AppContext) -> int:
    """Booked: ask for the date of the appointment, with a calendar."""
    query = update.callback_query
    assert query is not None
    found = await _shown(update, context, _outbox_id(query.data, BOOKED))
    if found is None:
        return ConversationHandler.END
    patient, t, shown = found
    try:
        procedure = reminders.bookable(shown)
    except reminders.NotActionableError:
        await query.answer(texts.gone(t), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    today = local_today(patient, context.services.clock.now())
    month = month_of(max(today, shown.chain.on if shown.chain else today))
    context.drafts[BOOKING_DRAFT] = procedure.value
    ask_for_text(context, STEP)
    await reply(
        update,
        texts.ask_booked_date(procedure, t),
        reply_markup=_calendar(shown.message.id, month, today, t),
    )
    return ASKING_DATE


async def on_booked_month(update: Update, context: AppContext) -> int:
    """◀ ▶ in the booking calendar."""
    query = update.callback_query
    assert query is not None
    pressed = await _calendar_pressed(update, context, MONTH, unpack_month)
    if pressed is None:
        return ConversationHandler.END
    patient, t, shown, month = pressed
    await query.answer()
    # Any button clears a flow's wait for text (flow.py); the date may still be typed.
    ask_for_text(context, STEP)
    today = local_today(patient, context.services.clock.now())
    await query.edit_message_reply_markup(reply_markup=_calendar(shown.message.id, month, today, t))
    return ASKING_DATE


async def on_booked_day(update: Update, context: AppContext) -> int:
    """A day picked in the booking calendar."""
    query = update.callback_query
    assert query is not None
    pressed = await _calendar_pressed(update, context, DAY, unpack_day)
    if pressed is None:
        return ConversationHandler.END
    patient, t, shown, day = pressed
    try:
        procedure = reminders.bookable(shown)
    except reminders.NotActionableError:
        await query.answer(texts.gone(t), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    return await _book(update, context, patient, t, procedure, day)


async def on_booked_date(update: Update, context: AppContext) -> int:
    """The typed date of the booking."""
    message = update.effective_message
    assert message is not None
    patient = await current_patient(update, context)
    draft = context.drafts.get(BOOKING_DRAFT)
    if patient is None or draft is None:
        _forget(context)
        return ConversationHandler.END
    t = language_of(update, patient)
    now = context.services.clock.now()
    try:
        on = parse_date(
            message.text or "", today=local_today(patient, now), language=patient.language
        )
    except (DateNotUnderstoodError, ImpossibleDateError):
        await reply(update, texts.date_not_understood(t))
        return ASKING_DATE
    return await _book(update, context, patient, t, Procedure(draft), on)


async def _book(
    update: Update,
    context: AppContext,
    patient: Patient,
    t: Translator,
    procedure: Procedure,
    on: date,
) -> int:
    """Log the booking; a date that cannot be one is asked again."""
    services = context.services
    try:
        booked = await reminders.book(
            services.database, patient, procedure, on, services.clock.now()
        )
    except reminders.BookedDateInPastError:
        ask_for_text(context, STEP)
        await reply(update, texts.date_in_past(t))
        return ASKING_DATE
    except DateOutOfRangeError:
        ask_for_text(context, STEP)
        await reply(update, texts.date_out_of_range(t))
        return ASKING_DATE
    _forget(context)
    await drop_buttons(update)
    await reply(update, texts.booked(booked, t))
    return ConversationHandler.END


def _forget(context: AppContext) -> None:
    context.drafts.pop(BOOKING_DRAFT, None)
    stop_asking(context, STEP)


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel while the date is asked."""
    _forget(context)
    patient = await current_patient(update, context)
    await reply(update, texts.booking_cancelled(language_of(update, patient)))
    return ConversationHandler.END


async def on_unknown(update: Update, context: AppContext) -> None:
    """A reminder button this version does not know."""
    query = update.callback_query
    assert query is not None
    patient = await current_patient(update, context)
    await query.answer(texts.gone(language_of(update, patient)), show_alert=True)


def _pattern(action: str) -> str:
    return f"^{callbacks.REMINDER}{callbacks.SEPARATOR}{action}{callbacks.SEPARATOR}"


def register(application: BotApp) -> None:
    """Register the reminder buttons and Booked's date question."""
    application.add_handler(
        ConversationHandler(
            # Every button is an entry point: each carries its own ids and dates.
            entry_points=[
                CallbackQueryHandler(on_booked, pattern=_pattern(BOOKED)),
                CallbackQueryHandler(on_booked_day, pattern=_pattern(DAY)),
                CallbackQueryHandler(on_booked_month, pattern=_pattern(MONTH)),
            ],
            states={ASKING_DATE: [TextStep(application, STEP, on_booked_date)]},
            fallbacks=[CommandHandler("cancel", on_cancel)],
            # Booked on another reminder while one date is asked starts that one instead.
            allow_reentry=True,
            conversation_timeout=application.bot_data.settings.conversation_timeout,
            name="reminder_booking",
        )
    )
    application.add_handler(CallbackQueryHandler(on_snooze, pattern=_pattern(SNOOZE)))
    application.add_handler(CallbackQueryHandler(on_not_for_me, pattern=_pattern(NOT_FOR_ME)))
    # Any other "rm" data (forged, or from a future version) is answered, not ignored.
    application.add_handler(
        CallbackQueryHandler(on_unknown, pattern=callbacks.pattern(callbacks.REMINDER))
    )
