"""Free text without a command: "had botox yesterday" → what I understood → Save?

Registered after every conversation, so a flow waiting for typed text gets it first. Its
buttons (`ft:s`, `ft:x`, and `lg:p` for "Another date") work after a restart too.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.buttons import FreeTextCancel, FreeTextSave
from bot.context import AppContext, BotApp
from bot.handlers.log import save_pressed
from bot.kit.buttons import Button
from bot.kit.screens import answer, drop_buttons, reply
from bot.kit.text_steps import TYPED_TEXT
from bot.parsing.dates import ImpossibleDateError
from bot.parsing.free_text import NotATreatmentError, parse_free_text
from bot.render import log as view
from bot.render import treatments as texts
from bot.render.common import ask_to_start, cancelled
from bot.render.dates import impossible_date_text, out_of_range_text
from bot.usecases.history import review_entry
from bot.usecases.planning import local_today
from bot.usecases.treatments import DateOutOfRangeError

# Longer than any way of saying "had botox yesterday"; we do not try to read essays.
MAX_LENGTH = 500


async def on_text(update: Update, context: AppContext) -> None:
    """Read a procedure and a date from a sentence and ask to confirm."""
    message = update.effective_message
    patient = context.patient
    t = context.t
    if message is None or patient is None:
        await reply(update, ask_to_start(t))
        return
    text = message.text or ""
    if len(text) > MAX_LENGTH:
        await reply(update, view.too_long_text(t))
        return
    services = context.services
    now = services.clock.now()
    today = local_today(patient, now)
    try:
        parsed = parse_free_text(text, today=today, language=patient.language)
        review = await review_entry(services.database, patient, parsed.procedure, parsed.on, now)
    except ImpossibleDateError as error:
        await reply(update, impossible_date_text(str(error), t))
        return
    except DateOutOfRangeError:
        await reply(update, out_of_range_text(today, t))
        return
    except NotATreatmentError:
        await reply(update, view.hint_text(t))
        return
    await reply(update, texts.understood_text(review, t), view.understood_keyboard(review, t))


async def on_save(update: Update, context: AppContext, pressed: FreeTextSave) -> None:
    """Save what was understood."""
    await save_pressed(update, context, pressed.procedure, pressed.on)


async def on_cancel(update: Update, context: AppContext, pressed: FreeTextCancel) -> None:
    """Cancel: nothing is saved."""
    await answer(update, context)
    await drop_buttons(update)
    await reply(update, cancelled(context.t))


def register(application: BotApp) -> None:
    """Register the free-text reader and its buttons; after every conversation."""
    application.add_handler(Button(FreeTextSave, on_save))
    application.add_handler(Button(FreeTextCancel, on_cancel))
    application.add_handler(MessageHandler(TYPED_TEXT & filters.ChatType.PRIVATE, on_text))
