"""/history: entries newest first, 5 a page; change an entry's date or delete it.

Every button carries the entry id and the page to come back to, and is an entry point, so
it works after a restart. Ids are looked up scoped to the presser's own patient: a deleted
entry, or another patient's id forged into the data, is answered "out of date".

    hi:p:<page>                       a page (0-based)
    hi:e:<id>:<page>                  one entry: [Change date] [Delete] [Back]
    hi:c:<id>:<page>                  change date: the calendar at the entry's month
    hi:m:<id>:<page>:<YYYYMM>         calendar month
    hi:d:<id>:<page>:<YYYYMMDD>       new date chosen: saved, or the conflicts explained
    hi:f:<id>:<page>:<YYYYMMDD>       "Save anyway" despite the conflicts
    hi:x:<id>:<page>                  ask before deleting
    hi:y:<id>:<page>                  delete
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
from bot.callbacks import HISTORY
from bot.context import AppContext, BotApp
from bot.handlers.common import ask_to_start, current_patient, language_of, reply
from bot.handlers.flow import (
    TextStep,
    ask_for_text,
    out_of_date,
    retire_keyboard,
    show,
    stop_asking,
)
from bot.i18n import Translator
from bot.keyboards.calendar import (
    calendar_keyboard,
    pack_day,
    pack_month,
    unpack_day,
    unpack_month,
)
from bot.parsing.dates import DateNotUnderstoodError, ImpossibleDateError, parse_date
from bot.render import treatments as texts
from bot.usecases.history import HistoryPage, history_page, move_treatment, remove_treatment
from bot.usecases.planning import local_today
from bot.usecases.treatments import DateOutOfRangeError, TreatmentNotFoundError, get_treatment
from storage.records import Patient, Treatment

BROWSE, DATE, CONFIRM = range(3)

STEP = "history:date"
ENTRY_DRAFT = "history.entry"
PAGE_DRAFT = "history.page"
SCREEN_DRAFT = "history.screen"
# Set while something waits for an answer (a new date, a confirmation), so a timeout says so.
PENDING_DRAFT = "history.pending"

# Ids and page numbers in callback data are digits of a sane length, nothing else.
_MAX_DIGITS = 12


def _number(text: str) -> int | None:
    if not text.isdigit() or len(text) > _MAX_DIGITS:
        return None
    return int(text)


def _data(action: str, *parts: object) -> str:
    return callbacks.pack(callbacks.HISTORY, action, *parts)


def page_keyboard(page: HistoryPage, t: Translator) -> InlineKeyboardMarkup | None:
    """One button per entry, then ◀ page ▶ when there is more than one page."""
    rows = [
        [
            InlineKeyboardButton(
                texts.entry_button_text(entry, t), callback_data=_data("e", entry.id, page.page)
            )
        ]
        for entry in page.entries
    ]
    if page.pages > 1:
        noop = callbacks.pack(callbacks.NOOP)
        rows.append(
            [
                InlineKeyboardButton("◀", callback_data=_data("p", page.page - 1))
                if page.page > 0
                else InlineKeyboardButton(" ", callback_data=noop),
                InlineKeyboardButton(f"{page.page + 1}/{page.pages}", callback_data=noop),
                InlineKeyboardButton("▶", callback_data=_data("p", page.page + 1))
                if page.page + 1 < page.pages
                else InlineKeyboardButton(" ", callback_data=noop),
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def _back_to_list(page: int, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("◀ Back to history"), callback_data=_data("p", page))]]
    )


def _entry_keyboard(treatment: Treatment, page: int, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("📅 Change date"), callback_data=_data("c", treatment.id, page)
                ),
                InlineKeyboardButton(
                    t.gettext("🗑 Delete"), callback_data=_data("x", treatment.id, page)
                ),
            ],
            [InlineKeyboardButton(t.gettext("◀ Back"), callback_data=_data("p", page))],
        ]
    )


def _calendar(
    treatment: Treatment, page: int, month: date, today: date, t: Translator
) -> InlineKeyboardMarkup:
    return calendar_keyboard(
        month,
        today=today,
        t=t,
        pick=lambda day: _data("d", treatment.id, page, pack_day(day)),
        navigate=lambda m: _data("m", treatment.id, page, pack_month(m)),
        footer=[
            InlineKeyboardButton(t.gettext("◀ Back"), callback_data=_data("e", treatment.id, page))
        ],
    )


async def on_history(update: Update, context: AppContext) -> int:
    """/history: the first page."""
    patient = await current_patient(update, context)
    if patient is None:
        await ask_to_start(update)
        return ConversationHandler.END
    _forget(context)
    return await _show_page(update, context, patient, 0)


async def on_page(update: Update, context: AppContext) -> int:
    """◀ ▶ and Back: another page."""
    found = await _pressed(update, context, arity=1)
    if found is None:
        return ConversationHandler.END
    patient, parts = found
    page = _number(parts[0])
    if page is None:
        return await _stale(update, context, patient)
    return await _show_page(update, context, patient, page)


async def _show_page(update: Update, context: AppContext, patient: Patient, page: int) -> int:
    t = language_of(update, patient)
    services = context.services
    found = await history_page(services.database, patient, page, services.clock.now())
    screen = await show(update, texts.history_text(found, t), page_keyboard(found, t))
    _settle(context, screen, pending=False)
    return BROWSE


async def on_entry(update: Update, context: AppContext) -> int:
    """An entry's button (and Keep / Back): what to do with it."""
    found = await _entry_pressed(update, context, arity=2)
    if found is None:
        return ConversationHandler.END
    patient, treatment, page, _parts = found
    await _answer(update)
    t = language_of(update, patient)
    today = local_today(patient, context.services.clock.now())
    screen = await show(
        update, texts.entry_text(treatment, today, t), _entry_keyboard(treatment, page, t)
    )
    _settle(context, screen, pending=False)
    return BROWSE


async def on_change(update: Update, context: AppContext) -> int:
    """Change date: the calendar at the entry's month, or a typed date."""
    found = await _entry_pressed(update, context, arity=2)
    if found is None:
        return ConversationHandler.END
    patient, treatment, page, _parts = found
    await _answer(update)
    return await _ask_date(update, context, patient, treatment, page, treatment.on)


async def on_month(update: Update, context: AppContext) -> int:
    """◀ ▶ in the change-date calendar."""
    found = await _entry_pressed(update, context, arity=3)
    if found is None:
        return ConversationHandler.END
    patient, treatment, page, parts = found
    month = unpack_month(parts[2])
    if month is None:
        return await _stale(update, context, patient)
    await _answer(update)
    return await _ask_date(update, context, patient, treatment, page, month)


async def _ask_date(
    update: Update,
    context: AppContext,
    patient: Patient,
    treatment: Treatment,
    page: int,
    month: date,
) -> int:
    t = language_of(update, patient)
    today = local_today(patient, context.services.clock.now())
    screen = await show(
        update, texts.new_date_prompt(treatment, t), _calendar(treatment, page, month, today, t)
    )
    _settle(context, screen, pending=True)
    context.drafts[ENTRY_DRAFT] = treatment.id
    context.drafts[PAGE_DRAFT] = page
    ask_for_text(context, STEP)
    return DATE


async def on_day(update: Update, context: AppContext) -> int:
    """A day in the change-date calendar: move it, or explain the conflicts first."""
    return await _day_pressed(update, context, despite_conflicts=False)


async def on_force(update: Update, context: AppContext) -> int:
    """Save anyway: move it despite the conflicts."""
    return await _day_pressed(update, context, despite_conflicts=True)


async def _day_pressed(update: Update, context: AppContext, *, despite_conflicts: bool) -> int:
    found = await _pressed(update, context, arity=3)
    if found is None:
        return ConversationHandler.END
    patient, parts = found
    treatment_id, page, on = _number(parts[0]), _number(parts[1]), unpack_day(parts[2])
    if treatment_id is None or page is None or on is None:
        return await _stale(update, context, patient)
    return await _move(update, context, patient, treatment_id, page, on, despite_conflicts)


async def on_typed_date(update: Update, context: AppContext) -> int:
    """A typed new date while the change-date calendar is showing."""
    message = update.effective_message
    assert message is not None
    patient = await current_patient(update, context)
    treatment_id = context.drafts.get(ENTRY_DRAFT)
    page = context.drafts.get(PAGE_DRAFT, 0)
    if patient is None or not isinstance(treatment_id, int) or not isinstance(page, int):
        _forget(context)
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
    return await _move(update, context, patient, treatment_id, page, on, False)


async def _move(
    update: Update,
    context: AppContext,
    patient: Patient,
    treatment_id: int,
    page: int,
    on: date,
    despite_conflicts: bool,
) -> int:
    t = language_of(update, patient)
    services = context.services
    try:
        move = await move_treatment(
            services.database,
            patient,
            treatment_id,
            on,
            services.clock.now(),
            despite_conflicts=despite_conflicts,
        )
    except TreatmentNotFoundError:
        return await _stale(update, context, patient)
    except DateOutOfRangeError:
        await _answer(update)
        await reply(update, texts.out_of_range_text(local_today(patient, services.clock.now()), t))
        context.drafts[ENTRY_DRAFT] = treatment_id
        context.drafts[PAGE_DRAFT] = page
        ask_for_text(context, STEP)
        return DATE
    await _answer(update)
    stop_asking(context, STEP)
    if update.callback_query is None and update.effective_chat is not None:
        # A typed date: the answer comes as a new message, so the calendar is done.
        await retire_keyboard(context, update.effective_chat.id, context.drafts.get(SCREEN_DRAFT))
    if not move.moved:
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        t.gettext("⚠️ Save anyway"),
                        callback_data=_data("f", treatment_id, page, pack_day(on)),
                    ),
                    InlineKeyboardButton(
                        t.gettext("Cancel"), callback_data=_data("e", treatment_id, page)
                    ),
                ]
            ]
        )
        screen = await show(update, texts.move_conflicts_text(move, on, t), keyboard)
        _settle(context, screen, pending=True)
        return CONFIRM
    screen = await show(update, texts.moved_text(move, t), _back_to_list(page, t))
    _settle(context, screen, pending=False)
    return ConversationHandler.END


async def on_delete_ask(update: Update, context: AppContext) -> int:
    """Delete: ask first."""
    found = await _entry_pressed(update, context, arity=2)
    if found is None:
        return ConversationHandler.END
    patient, treatment, page, _parts = found
    await _answer(update)
    t = language_of(update, patient)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("🗑 Yes, delete"), callback_data=_data("y", treatment.id, page)
                ),
                InlineKeyboardButton(
                    t.gettext("Keep"), callback_data=_data("e", treatment.id, page)
                ),
            ]
        ]
    )
    screen = await show(update, texts.delete_question(treatment, t), keyboard)
    _settle(context, screen, pending=True)
    return CONFIRM


async def on_delete(update: Update, context: AppContext) -> int:
    """Yes, delete: gone, reminders re-planned."""
    found = await _pressed(update, context, arity=2)
    if found is None:
        return ConversationHandler.END
    patient, parts = found
    treatment_id, page = _number(parts[0]), _number(parts[1])
    if treatment_id is None or page is None:
        return await _stale(update, context, patient)
    services = context.services
    try:
        deleted = await remove_treatment(
            services.database, patient, treatment_id, services.clock.now()
        )
    except TreatmentNotFoundError:
        return await _stale(update, context, patient)
    t = language_of(update, patient)
    await _answer(update)
    screen = await show(update, texts.deleted_text(deleted, t), _back_to_list(page, t))
    _settle(context, screen, pending=False)
    return ConversationHandler.END


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel inside /history."""
    if update.effective_chat is not None:
        await retire_keyboard(context, update.effective_chat.id, context.drafts.get(SCREEN_DRAFT))
    _forget(context)
    t = language_of(update, await current_patient(update, context))
    await reply(update, t.gettext("Cancelled, nothing was saved."))
    return ConversationHandler.END


async def on_timeout(update: Update, context: AppContext) -> None:
    """Left open for `conversation_timeout`: end; say so only if something was waiting."""
    pending = bool(context.drafts.get(PENDING_DRAFT))
    if pending and update.effective_chat is not None:
        await retire_keyboard(context, update.effective_chat.id, context.drafts.get(SCREEN_DRAFT))
    _forget(context)
    if pending:
        t = language_of(update, await current_patient(update, context))
        await reply(update, t.gettext("⌛ I stopped waiting, so nothing was changed."))


async def _pressed(
    update: Update, context: AppContext, *, arity: int
) -> tuple[Patient, list[str]] | None:
    """The presser's patient and the data's parts after the action; else answered and None."""
    query = update.callback_query
    assert query is not None
    patient = await current_patient(update, context)
    if patient is None:
        await query.answer()
        await ask_to_start(update)
        return None
    parts = (callbacks.unpack(query.data, callbacks.HISTORY) or [])[1:]
    if len(parts) != arity:
        await _stale(update, context, patient)
        return None
    return patient, parts


async def _entry_pressed(
    update: Update, context: AppContext, *, arity: int
) -> tuple[Patient, Treatment, int, list[str]] | None:
    """Like `_pressed`, with the presser's own entry `parts[0]` looked up (and page).

    The press is not answered yet: the caller still checks the rest of the data.
    """
    found = await _pressed(update, context, arity=arity)
    if found is None:
        return None
    patient, parts = found
    treatment_id, page = _number(parts[0]), _number(parts[1])
    if treatment_id is None or page is None:
        await _stale(update, context, patient)
        return None
    try:
        treatment = await get_treatment(context.services.database, patient, treatment_id)
    except TreatmentNotFoundError:
        await _stale(update, context, patient)
        return None
    return patient, treatment, page, parts


async def _answer(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


async def _stale(update: Update, context: AppContext, patient: Patient | None = None) -> int:
    t = language_of(update, patient or await current_patient(update, context))
    await out_of_date(
        update,
        t,
        t.gettext("That entry is no longer in your history; /history shows what is there now."),
    )
    return ConversationHandler.END


def _settle(context: AppContext, screen: Message | None, *, pending: bool) -> None:
    """Remember the flow's current screen and whether it waits for an answer."""
    if screen is not None:
        context.drafts[SCREEN_DRAFT] = screen.message_id
    context.drafts[PENDING_DRAFT] = pending


def _forget(context: AppContext) -> None:
    stop_asking(context, STEP)
    for key in (ENTRY_DRAFT, PAGE_DRAFT, SCREEN_DRAFT, PENDING_DRAFT):
        context.drafts.pop(key, None)


async def _on_unknown(update: Update, context: AppContext) -> None:
    await _stale(update, context)


def register(application: BotApp) -> None:
    """Register /history and its buttons."""
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler("history", on_history),
                CallbackQueryHandler(on_page, pattern=callbacks.pattern(HISTORY, "p")),
                CallbackQueryHandler(on_entry, pattern=callbacks.pattern(HISTORY, "e")),
                CallbackQueryHandler(on_change, pattern=callbacks.pattern(HISTORY, "c")),
                CallbackQueryHandler(on_month, pattern=callbacks.pattern(HISTORY, "m")),
                CallbackQueryHandler(on_day, pattern=callbacks.pattern(HISTORY, "d")),
                CallbackQueryHandler(on_force, pattern=callbacks.pattern(HISTORY, "f")),
                CallbackQueryHandler(on_delete_ask, pattern=callbacks.pattern(HISTORY, "x")),
                CallbackQueryHandler(on_delete, pattern=callbacks.pattern(HISTORY, "y")),
            ],
            states={
                BROWSE: [],
                DATE: [TextStep(application, STEP, on_typed_date)],
                CONFIRM: [],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[CommandHandler("cancel", on_cancel)],
            # Buttons from any earlier screen work at any step: each carries its own data.
            allow_reentry=True,
            conversation_timeout=application.bot_data.settings.conversation_timeout,
            name="history",
        )
    )
    # Any other "hi:" data (forged, or from a future version) is answered, not ignored.
    application.add_handler(
        CallbackQueryHandler(_on_unknown, pattern=callbacks.pattern(callbacks.HISTORY))
    )
