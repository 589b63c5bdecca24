"""/history: entries newest first, 5 a page; change an entry's date or delete it.

Every button carries the entry id and the page to come back to (see `bot.buttons`: `hi:*`)
and is an entry point, so it works after a restart. Ids are looked up scoped to the
presser's own patient: a deleted entry, or another patient's id forged into the data, is
answered "out of date".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from telegram import Update
from telegram.ext import CommandHandler, ConversationHandler

from bot.buttons import (
    EntryKey,
    HistoryChange,
    HistoryDay,
    HistoryDelete,
    HistoryDeleteAsk,
    HistoryEntry,
    HistoryForce,
    HistoryMonth,
    HistoryPage,
)
from bot.callbacks import CallbackData, Month
from bot.context import AppContext, BotApp
from bot.drafts import HistoryDraft
from bot.i18n import Translator
from bot.kit.buttons import Button
from bot.kit.conversation import conversation
from bot.kit.date_picker import DatePicker
from bot.kit.screens import answer, reply, retire_keyboard, show, stale
from bot.kit.text_steps import ask_for_text
from bot.render import history as view
from bot.render import treatments as texts
from bot.render.common import ask_to_start, cancelled
from bot.render.dates import out_of_range_text
from bot.render.keyboards import Row
from bot.usecases.history import history_page, move_treatment, remove_treatment
from bot.usecases.planning import local_today
from bot.usecases.treatments import (
    AlreadyOnThatDateError,
    DateOutOfRangeError,
    TreatmentNotFoundError,
    get_treatment,
)
from storage.records import Patient, Treatment

BROWSE, DATE, CONFIRM = range(3)
END = ConversationHandler.END


class _NewDate:
    """The new-date question of /history: keyed by the entry and the page to return to."""

    step = "history:date"
    state = DATE

    def day(self, key: EntryKey, on: date) -> CallbackData:
        return HistoryDay(key.entry, key.page, on)

    def month(self, key: EntryKey, month: Month) -> CallbackData:
        return HistoryMonth(key.entry, key.page, month)

    def footer(self, key: EntryKey, t: Translator) -> Row:
        return view.calendar_footer(key.entry, key.page, t)

    def pending(self, context: AppContext) -> EntryKey | None:
        draft = context.flows.history
        if draft is None or draft.entry is None:
            return None
        return EntryKey(draft.entry, draft.page)

    async def check(self, update: Update, context: AppContext, key: EntryKey) -> bool:
        return await _entry(update, context, key.entry) is not None

    async def chosen(self, update: Update, context: AppContext, key: EntryKey, on: date) -> int:
        return await _move(update, context, key, on, despite_conflicts=False)


PICKER = DatePicker(_NewDate(), HistoryDay, HistoryMonth)


async def on_history(update: Update, context: AppContext) -> int:
    """/history: the first page."""
    patient = context.patient
    if patient is None:
        await reply(update, ask_to_start(context.t))
        return END
    return await _show_page(update, context, patient, 0)


async def on_page(update: Update, context: AppContext, pressed: HistoryPage) -> int:
    """◀ ▶ and Back: another page."""
    patient = context.patient
    await answer(update, context)
    if patient is None:
        await reply(update, ask_to_start(context.t))
        return END
    return await _show_page(update, context, patient, pressed.page)


async def _show_page(update: Update, context: AppContext, patient: Patient, page: int) -> int:
    services = context.services
    found = await history_page(services.database, patient, page, services.clock.now())
    t = context.t
    screen = await show(update, texts.history_text(found, t), view.page_keyboard(found, t))
    _settle(context, screen, HistoryDraft(found.page))
    return BROWSE


async def on_entry(update: Update, context: AppContext, pressed: HistoryEntry) -> int:
    """An entry's button (and Keep / Back): what to do with it."""
    treatment = await _entry(update, context, pressed.entry)
    if treatment is None:
        return END
    await answer(update, context)
    patient = context.patient
    assert patient is not None  # _entry checked
    today = local_today(patient, context.services.clock.now())
    keyboard = view.entry_keyboard(treatment, pressed.page, context.t)
    screen = await show(update, texts.entry_text(treatment, today, context.t), keyboard)
    _settle(context, screen, HistoryDraft(pressed.page))
    return BROWSE


async def on_change(update: Update, context: AppContext, pressed: HistoryChange) -> int:
    """Change date: the calendar at the entry's month, or a typed date."""
    treatment = await _entry(update, context, pressed.entry)
    patient = context.patient
    if treatment is None or patient is None:
        return END
    await answer(update, context)
    key = EntryKey(treatment.id, pressed.page)
    prompt = texts.new_date_prompt(treatment, context.t)
    state = await PICKER.ask(update, context, patient, key, Month.of(treatment.on), prompt)
    calendar = context.flows.calendar
    context.flows.history = HistoryDraft(
        pressed.page, treatment.id, calendar.message_id if calendar else None, pending=True
    )
    return state


async def on_force(update: Update, context: AppContext, pressed: HistoryForce) -> int:
    """Save anyway: move it despite the conflicts."""
    key = EntryKey(pressed.entry, pressed.page)
    return await _move(update, context, key, pressed.on, despite_conflicts=True)


async def _move(
    update: Update, context: AppContext, key: EntryKey, on: date, *, despite_conflicts: bool
) -> int:
    patient = context.patient
    t = context.t
    if patient is None:
        await answer(update, context)
        await reply(update, ask_to_start(t))
        return END
    services = context.services
    try:
        move = await move_treatment(
            services.database,
            patient,
            key.entry,
            on,
            services.clock.now(),
            despite_conflicts=despite_conflicts,
        )
    except TreatmentNotFoundError:
        await stale(update, context, view.entry_gone(t))
        return END
    except AlreadyOnThatDateError:
        await answer(update, context)
        await reply(update, view.already_on_that_date(on, t))
        return END
    except DateOutOfRangeError:
        await answer(update, context)
        await reply(update, out_of_range_text(local_today(patient, services.clock.now()), t))
        context.flows.history = HistoryDraft(key.page, key.entry, pending=True)
        ask_for_text(context, PICKER.question.step)
        return DATE
    await answer(update, context)
    await PICKER.moved_on(update, context)
    if not move.moved:
        markup = view.conflicts_keyboard(key.entry, key.page, on, t)
        screen = await show(update, texts.move_conflicts_text(move, on, t), markup)
        _settle(context, screen, HistoryDraft(key.page, key.entry, pending=True))
        return CONFIRM
    screen = await show(update, texts.moved_text(move, t), view.back_to_list(key.page, t))
    _settle(context, screen, HistoryDraft(key.page))
    return END


async def on_delete_ask(update: Update, context: AppContext, pressed: HistoryDeleteAsk) -> int:
    """Delete: ask first."""
    treatment = await _entry(update, context, pressed.entry)
    if treatment is None:
        return END
    await answer(update, context)
    t = context.t
    keyboard = view.delete_keyboard(treatment, pressed.page, t)
    screen = await show(update, texts.delete_question(treatment, t), keyboard)
    _settle(context, screen, HistoryDraft(pressed.page, treatment.id, pending=True))
    return CONFIRM


async def on_delete(update: Update, context: AppContext, pressed: HistoryDelete) -> int:
    """Yes, delete: gone, reminders re-planned."""
    patient = context.patient
    t = context.t
    if patient is None:
        await answer(update, context)
        await reply(update, ask_to_start(t))
        return END
    services = context.services
    try:
        deleted = await remove_treatment(
            services.database, patient, pressed.entry, services.clock.now()
        )
    except TreatmentNotFoundError:
        await stale(update, context, view.entry_gone(t))
        return END
    await answer(update, context)
    screen = await show(update, texts.deleted_text(deleted, t), view.back_to_list(pressed.page, t))
    _settle(context, screen, HistoryDraft(pressed.page))
    return END


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel inside /history."""
    await _retire(update, context)
    await reply(update, cancelled(context.t))
    return END


async def on_timeout(update: Update, context: AppContext) -> None:
    """Left open for `conversation_timeout`: end; say so only if something was waiting."""
    draft = context.flows.history
    if draft is not None and draft.pending:
        await _retire(update, context)
        await reply(update, view.timed_out_text(context.t))
    context.flows.history = None


async def _entry(update: Update, context: AppContext, entry_id: int) -> Treatment | None:
    """The presser's own entry with this id; otherwise the press is answered and None."""
    patient = context.patient
    if patient is None:
        await answer(update, context)
        await reply(update, ask_to_start(context.t))
        return None
    try:
        return await get_treatment(context.services.database, patient, entry_id)
    except TreatmentNotFoundError:
        await stale(update, context, view.entry_gone(context.t))
        return None


def _settle(context: AppContext, screen: int | None, draft: HistoryDraft) -> None:
    """Remember the flow's current screen and whether it waits for an answer."""
    previous = context.flows.history
    kept = previous.screen if previous is not None else None
    context.flows.history = replace(draft, screen=screen if screen is not None else kept)


async def _retire(update: Update, context: AppContext) -> None:
    draft, context.flows.history = context.flows.history, None
    chat = update.effective_chat
    if draft is not None and chat is not None:
        await retire_keyboard(context, chat.id, draft.screen)


def register(application: BotApp) -> None:
    """Register /history and its buttons."""
    application.add_handler(
        conversation(
            application,
            "history",
            entry_points=[
                CommandHandler("history", on_history),
                Button(HistoryPage, on_page),
                Button(HistoryEntry, on_entry),
                Button(HistoryChange, on_change),
                *PICKER.entry_points(),
                Button(HistoryForce, on_force),
                Button(HistoryDeleteAsk, on_delete_ask),
                Button(HistoryDelete, on_delete),
            ],
            states={BROWSE: [], DATE: [PICKER.text_step(application)], CONFIRM: []},
            fallbacks=[CommandHandler("cancel", on_cancel)],
            on_timeout=on_timeout,
        )
    )
