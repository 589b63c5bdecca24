"""/log: procedure (buttons) → date (calendar or typed) → confirm, with conflicts → saved.

Every button carries what it needs, so a button pressed after a restart (when the in-memory
conversation is gone) still works; that is why each button is also an entry point:

    lg:p:<procedure>               procedure chosen: show the calendar
    lg:m:<procedure>:<YYYYMM>      calendar month
    lg:d:<procedure>:<YYYYMMDD>    day chosen: show the confirm screen
    lg:s:<procedure>:<YYYYMMDD>    save (or "Save anyway"); saving twice stores it once
    lg:x                           cancel
"""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot import callbacks
from bot.callbacks import LOG
from bot.context import AppContext, BotApp
from bot.handlers.common import ask_to_start, current_patient, language_of, reply
from bot.handlers.flow import (
    TextStep,
    ask_for_text,
    drop_buttons,
    out_of_date,
    retire_keyboard,
    show,
    stop_asking,
)
from bot.i18n import Translator
from bot.keyboards.calendar import calendar_keyboard, pack_day, pack_month, unpack_day, unpack_month
from bot.parsing.dates import DateNotUnderstoodError, ImpossibleDateError, parse_date
from bot.render import treatments as texts
from bot.render.words import capitalised, procedure_name
from bot.usecases.history import Review, review_entry, save_entry
from bot.usecases.planning import local_today
from bot.usecases.treatments import DateOutOfRangeError
from rules import Procedure
from storage.records import Patient

CHOOSE, DATE, CONFIRM = range(3)

STEP = "log:date"
PROCEDURE_DRAFT = "log.procedure"
# The message showing the calendar, whose buttons go once a typed date moves the flow on.
SCREEN_DRAFT = "log.screen"


def _procedure(text: str) -> Procedure | None:
    try:
        return Procedure(text)
    except ValueError:
        return None


def procedure_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """One button per procedure, then Cancel."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    capitalised(procedure_name(p, t)),
                    callback_data=callbacks.pack(callbacks.LOG, "p", p.value),
                )
                for p in Procedure
            ],
            [_cancel_button(t)],
        ]
    )


def _cancel_button(t: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        t.gettext("Cancel"), callback_data=callbacks.pack(callbacks.LOG, "x")
    )


def log_calendar(
    procedure: Procedure, month: date, today: date, t: Translator
) -> InlineKeyboardMarkup:
    """The date picker of /log for one procedure."""
    return calendar_keyboard(
        month,
        today=today,
        t=t,
        pick=lambda day: callbacks.pack(callbacks.LOG, "d", procedure.value, pack_day(day)),
        navigate=lambda m: callbacks.pack(callbacks.LOG, "m", procedure.value, pack_month(m)),
        footer=[_cancel_button(t)],
    )


def confirm_keyboard(
    prefix: str, review: Review, t: Translator, *, other_date: bool = False
) -> InlineKeyboardMarkup:
    """Save (or "Save anyway" when the entry breaks a rule) and Cancel; shared with free text."""
    save = t.gettext("⚠️ Save anyway") if review.violations else t.gettext("✅ Save")
    data = callbacks.pack(prefix, "s", review.procedure.value, pack_day(review.on))
    rows = [[InlineKeyboardButton(save, callback_data=data)]]
    second = []
    if other_date:
        second.append(
            InlineKeyboardButton(
                t.gettext("📅 Another date"),
                callback_data=callbacks.pack(callbacks.LOG, "p", review.procedure.value),
            )
        )
    second.append(
        InlineKeyboardButton(t.gettext("Cancel"), callback_data=callbacks.pack(prefix, "x"))
    )
    rows.append(second)
    return InlineKeyboardMarkup(rows)


async def on_log(update: Update, context: AppContext) -> int:
    """/log: which procedure?"""
    patient = await current_patient(update, context)
    if patient is None:
        await ask_to_start(update)
        return ConversationHandler.END
    t = language_of(update, patient)
    _forget(context)
    screen = await show(update, t.gettext("What would you like to log?"), procedure_keyboard(t))
    _remember_screen(context, screen)
    return CHOOSE


async def on_procedure(update: Update, context: AppContext) -> int:
    """A procedure button: show this month's calendar and accept a typed date."""
    return await _show_calendar(update, context, month=None)


async def on_month(update: Update, context: AppContext) -> int:
    """◀ ▶ in the calendar."""
    parts = _parts(update)
    month = unpack_month(parts[2]) if len(parts) == 3 else None
    if month is None:
        return await _stale(update, context)
    return await _show_calendar(update, context, month=month)


async def _show_calendar(update: Update, context: AppContext, month: date | None) -> int:
    query = update.callback_query
    assert query is not None
    parts = _parts(update)
    procedure = _procedure(parts[1]) if len(parts) >= 2 else None
    patient = await current_patient(update, context)
    if patient is None:
        await query.answer()
        await ask_to_start(update)
        return ConversationHandler.END
    t = language_of(update, patient)
    if procedure is None:
        return await _stale(update, context, t)
    await query.answer()
    today = local_today(patient, context.services.clock.now())
    screen = await show(
        update,
        texts.date_prompt(procedure, t),
        reply_markup=log_calendar(procedure, month or today, today, t),
    )
    context.drafts[PROCEDURE_DRAFT] = procedure.value
    _remember_screen(context, screen)
    ask_for_text(context, STEP)
    return DATE


async def on_day(update: Update, context: AppContext) -> int:
    """A day in the calendar (or Today / Yesterday): show the confirm screen."""
    query = update.callback_query
    assert query is not None
    parts = _parts(update)
    patient = await current_patient(update, context)
    if patient is None:
        await query.answer()
        await ask_to_start(update)
        return ConversationHandler.END
    t = language_of(update, patient)
    procedure = _procedure(parts[1]) if len(parts) == 3 else None
    on = unpack_day(parts[2]) if len(parts) == 3 else None
    if procedure is None or on is None:
        return await _stale(update, context, t)
    await query.answer()
    return await _confirm(update, context, patient, procedure, on, t)


async def on_typed_date(update: Update, context: AppContext) -> int:
    """A typed date while the calendar is showing."""
    message = update.effective_message
    assert message is not None
    patient = await current_patient(update, context)
    procedure = _procedure(str(context.drafts.get(PROCEDURE_DRAFT, "")))
    if patient is None or procedure is None:
        stop_asking(context, STEP)
        await ask_to_start(update)
        return ConversationHandler.END
    t = language_of(update, patient)
    today = local_today(patient, context.services.clock.now())
    try:
        on = parse_date(message.text or "", today=today, language=patient.language)
    except ImpossibleDateError as error:
        await reply(update, texts.impossible_date_text(str(error), t))
        return DATE
    except DateNotUnderstoodError:
        await reply(update, texts.not_a_date_text(t))
        return DATE
    return await _confirm(update, context, patient, procedure, on, t)


async def _confirm(
    update: Update,
    context: AppContext,
    patient: Patient,
    procedure: Procedure,
    on: date,
    t: Translator,
) -> int:
    try:
        review = await review_entry(
            context.services.database, patient, procedure, on, context.services.clock.now()
        )
    except DateOutOfRangeError:
        today = local_today(patient, context.services.clock.now())
        await reply(update, texts.out_of_range_text(today, t))
        # Still waiting for a date: the calendar (or another typed date) can answer.
        context.drafts[PROCEDURE_DRAFT] = procedure.value
        ask_for_text(context, STEP)
        return DATE
    stop_asking(context, STEP)
    if update.callback_query is None and update.effective_chat is not None:
        # A typed date: the confirm screen comes as a new message, so the calendar is done.
        await retire_keyboard(context, update.effective_chat.id, context.drafts.get(SCREEN_DRAFT))
    screen = await show(
        update,
        texts.confirm_text(review, t),
        reply_markup=confirm_keyboard(callbacks.LOG, review, t),
    )
    _remember_screen(context, screen)
    return CONFIRM


async def on_save(update: Update, context: AppContext) -> int:
    """Save (or Save anyway): store once, then tell what it means."""
    await save_from_button(update, context, callbacks.LOG)
    _forget(context)
    return ConversationHandler.END


async def save_from_button(update: Update, context: AppContext, prefix: str) -> None:
    """Save the entry a `<prefix>:s:<procedure>:<YYYYMMDD>` button carries (/log, free text)."""
    query = update.callback_query
    assert query is not None
    parts = callbacks.unpack(query.data, prefix) or []
    patient = await current_patient(update, context)
    if patient is None:
        await query.answer()
        await ask_to_start(update)
        return
    t = language_of(update, patient)
    procedure = _procedure(parts[1]) if len(parts) == 3 and parts[0] == "s" else None
    on = unpack_day(parts[2]) if procedure is not None else None
    if procedure is None or on is None:
        await out_of_date(update, t)
        return
    services = context.services
    try:
        saved = await save_entry(services.database, patient, procedure, on, services.clock.now())
    except DateOutOfRangeError:
        await query.answer()
        await reply(update, texts.out_of_range_text(local_today(patient, services.clock.now()), t))
        return
    if saved.result.already_logged:
        await query.answer(t.gettext("Already saved."))
    else:
        await query.answer(t.gettext("Saved."))
    await drop_buttons(update)
    await reply(update, texts.saved_text(saved, t))


async def on_cancel_button(update: Update, context: AppContext) -> int:
    """The Cancel button."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await drop_buttons(update)
    await _cancelled(update, context)
    return ConversationHandler.END


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel in the middle of /log."""
    await _cancelled(update, context)
    return ConversationHandler.END


async def _cancelled(update: Update, context: AppContext) -> None:
    if update.effective_chat is not None:
        await retire_keyboard(context, update.effective_chat.id, context.drafts.get(SCREEN_DRAFT))
    _forget(context)
    await reply(update, cancelled_text(language_of(update, await current_patient(update, context))))


def cancelled_text(t: Translator) -> str:
    """What every cancelled flow says."""
    return t.gettext("Cancelled, nothing was saved.")


async def on_timeout(update: Update, context: AppContext) -> None:
    """The flow was left open for `conversation_timeout`: end it and say nothing was saved."""
    if update.effective_chat is not None:
        await retire_keyboard(context, update.effective_chat.id, context.drafts.get(SCREEN_DRAFT))
    _forget(context)
    t = language_of(update, await current_patient(update, context))
    await reply(
        update,
        t.gettext("⌛ I stopped waiting, so nothing was saved. Send /log to start again."),
    )


async def _stale(update: Update, context: AppContext, t: Translator | None = None) -> int:
    await out_of_date(update, t or language_of(update, await current_patient(update, context)))
    return ConversationHandler.END


def _remember_screen(context: AppContext, screen: Message | None) -> None:
    if screen is not None:
        context.drafts[SCREEN_DRAFT] = screen.message_id


def _forget(context: AppContext) -> None:
    stop_asking(context, STEP)
    context.drafts.pop(PROCEDURE_DRAFT, None)
    context.drafts.pop(SCREEN_DRAFT, None)


def _parts(update: Update) -> list[str]:
    query = update.callback_query
    return (callbacks.unpack(query.data, callbacks.LOG) if query else None) or []


def register(application: BotApp) -> None:
    """Register /log and its buttons."""
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler("log", on_log),
                CallbackQueryHandler(on_procedure, pattern=callbacks.pattern(LOG, "p")),
                CallbackQueryHandler(on_month, pattern=callbacks.pattern(LOG, "m")),
                CallbackQueryHandler(on_day, pattern=callbacks.pattern(LOG, "d")),
                CallbackQueryHandler(on_save, pattern=callbacks.pattern(LOG, "s")),
                CallbackQueryHandler(on_cancel_button, pattern=callbacks.pattern(LOG, "x")),
            ],
            states={
                CHOOSE: [],
                DATE: [TextStep(application, STEP, on_typed_date)],
                CONFIRM: [],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[CommandHandler("cancel", on_cancel)],
            # Buttons from any earlier screen work at any step: each carries its own data.
            allow_reentry=True,
            conversation_timeout=application.bot_data.settings.conversation_timeout,
            name="log",
        )
    )
    # Any other "lg:" data (forged, or from a future version) is answered, not ignored.
    application.add_handler(CallbackQueryHandler(_stale, pattern=callbacks.pattern(callbacks.LOG)))
