"""/log: procedure (buttons) → date (the date picker) → confirm, with conflicts → saved.

Every button carries what it needs (see `bot.buttons`: `lg:*`), so a button pressed after a
restart, when the in-memory conversation is gone, still works: each is an entry point.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from telegram import Update
from telegram.ext import CommandHandler, ConversationHandler

from bot.buttons import LogCancel, LogDay, LogMonth, LogProcedure, LogSave
from bot.callbacks import CallbackData, Month
from bot.context import AppContext, BotApp
from bot.drafts import LogDraft
from bot.i18n import Translator
from bot.kit.buttons import Button
from bot.kit.conversation import conversation
from bot.kit.date_picker import DatePicker
from bot.kit.screens import answer, drop_buttons, reply, retire_keyboard, show
from bot.render import log as view
from bot.render import treatments as texts
from bot.render.aftercare import aftercare_text
from bot.render.common import ask_to_start, cancelled
from bot.render.dates import out_of_range_text
from bot.render.keyboards import Row
from bot.usecases.history import review_entry, save_entry
from bot.usecases.planning import local_today
from bot.usecases.treatments import DateOutOfRangeError
from rules import Procedure

CHOOSE, DATE, CONFIRM = range(3)
END = ConversationHandler.END


class _LogDate:
    """The date question of /log: keyed by the procedure being logged."""

    step = "log:date"
    state = DATE

    def day(self, key: Procedure, on: date) -> CallbackData:
        return LogDay(key, on)

    def month(self, key: Procedure, month: Month) -> CallbackData:
        return LogMonth(key, month)

    def footer(self, key: Procedure, t: Translator) -> Row:
        return [view.cancel_button(t)]

    def pending(self, context: AppContext) -> Procedure | None:
        draft = context.flows.log
        return draft.procedure if draft is not None else None

    async def check(self, update: Update, context: AppContext, key: Procedure) -> bool:
        return True

    async def chosen(self, update: Update, context: AppContext, key: Procedure, on: date) -> int:
        return await _confirm(update, context, key, on)


PICKER = DatePicker(_LogDate(), LogDay, LogMonth)


async def on_log(update: Update, context: AppContext) -> int:
    """/log: which procedure?"""
    if context.patient is None:
        await reply(update, ask_to_start(context.t))
        return END
    screen = await show(update, view.choose_text(context.t), view.procedure_keyboard(context.t))
    context.flows.log = LogDraft(screen=screen)
    return CHOOSE


async def on_procedure(update: Update, context: AppContext, pressed: LogProcedure) -> int:
    """A procedure button: show this month's calendar and accept a typed date."""
    patient = context.patient
    await answer(update, context)
    if patient is None:
        await reply(update, ask_to_start(context.t))
        return END
    today = local_today(patient, context.services.clock.now())
    state = await PICKER.ask(
        update,
        context,
        patient,
        pressed.procedure,
        Month.of(today),
        texts.date_prompt(pressed.procedure, context.t),
    )
    calendar = context.flows.calendar
    context.flows.log = LogDraft(pressed.procedure, calendar.message_id if calendar else None)
    return state


async def _confirm(update: Update, context: AppContext, procedure: Procedure, on: date) -> int:
    patient = context.patient
    assert patient is not None  # the date picker checked
    review = await review_entry(
        context.services.database, patient, procedure, on, context.services.clock.now()
    )
    await PICKER.moved_on(update, context)
    screen = await show(
        update, texts.confirm_text(review, context.t), view.confirm_keyboard(review, context.t)
    )
    context.flows.log = replace(context.flows.log or LogDraft(procedure), screen=screen)
    return CONFIRM


async def on_save(update: Update, context: AppContext, pressed: LogSave) -> int:
    """Save (or Save anyway): store once, then tell what it means."""
    await save_pressed(update, context, pressed.procedure, pressed.on)
    context.flows.log = None
    return END


async def save_pressed(update: Update, context: AppContext, procedure: Procedure, on: date) -> None:
    """Save the entry a Save button carries (/log and free text); a second press saves nothing."""
    patient = context.patient
    t = context.t
    if patient is None:
        await answer(update, context)
        await reply(update, ask_to_start(t))
        return
    services = context.services
    try:
        saved = await save_entry(services.database, patient, procedure, on, services.clock.now())
    except DateOutOfRangeError:
        await answer(update, context)
        await reply(update, out_of_range_text(local_today(patient, services.clock.now()), t))
        return
    notice = view.already_saved_notice(t) if saved.result.already_logged else view.saved_notice(t)
    await answer(update, context, notice)
    await drop_buttons(update)
    await reply(update, texts.saved_text(saved, t))
    if saved.aftercare is not None:
        await reply(update, aftercare_text(saved.aftercare, t))


async def on_cancel_button(update: Update, context: AppContext, pressed: LogCancel) -> int:
    """The Cancel button."""
    await answer(update, context)
    await drop_buttons(update)
    await _cancelled(update, context)
    return END


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel in the middle of /log."""
    await _cancelled(update, context)
    return END


async def _cancelled(update: Update, context: AppContext) -> None:
    await _retire_screen(update, context)
    await reply(update, cancelled(context.t))


async def on_timeout(update: Update, context: AppContext) -> None:
    """The flow was left open for `conversation_timeout`: end it and say nothing was saved."""
    await _retire_screen(update, context)
    await reply(update, view.timed_out_text(context.t))


async def _retire_screen(update: Update, context: AppContext) -> None:
    draft, context.flows.log = context.flows.log, None
    chat = update.effective_chat
    if draft is not None and chat is not None:
        await retire_keyboard(context, chat.id, draft.screen)


def register(application: BotApp) -> None:
    """Register /log and its buttons."""
    application.add_handler(
        conversation(
            application,
            "log",
            entry_points=[
                CommandHandler("log", on_log),
                Button(LogProcedure, on_procedure),
                *PICKER.entry_points(),
                Button(LogSave, on_save),
                Button(LogCancel, on_cancel_button),
            ],
            states={CHOOSE: [], DATE: [PICKER.text_step(application)], CONFIRM: []},
            fallbacks=[CommandHandler("cancel", on_cancel)],
            on_timeout=on_timeout,
        )
    )
