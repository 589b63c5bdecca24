"""Free text without a command: "had botox yesterday" → what I understood → Save?

Registered after every conversation, so a flow waiting for typed text gets it first.
Buttons (each also works after a restart):

    ft:s:<procedure>:<YYYYMMDD>    save (or "Save anyway"); saving twice stores it once
    ft:x                           cancel
    lg:p:<procedure>               "Another date": continue in /log's calendar
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers.common import ask_to_start, current_patient, language_of, reply
from bot.handlers.flow import TYPED_TEXT, drop_buttons, out_of_date
from bot.handlers.log import cancelled_text, confirm_keyboard, save_from_button
from bot.i18n import Translator
from bot.parsing.dates import ImpossibleDateError
from bot.parsing.free_text import NotATreatmentError, parse_free_text
from bot.render import treatments as texts
from bot.usecases.history import review_entry
from bot.usecases.planning import local_today
from bot.usecases.treatments import DateOutOfRangeError

# Longer than any way of saying "had botox yesterday"; we do not try to read essays.
MAX_LENGTH = 500


async def on_text(update: Update, context: AppContext) -> None:
    """Read a procedure and a date from a sentence and ask to confirm."""
    message = update.effective_message
    assert message is not None
    patient = await current_patient(update, context)
    if patient is None:
        await ask_to_start(update)
        return
    t = language_of(update, patient)
    text = message.text or ""
    if len(text) > MAX_LENGTH:
        await reply(
            update,
            t.gettext(
                "That's too long for me. Tell me in one short sentence, "
                "for example “had botox yesterday”."
            ),
        )
        return
    services = context.services
    now = services.clock.now()
    today = local_today(patient, now)
    try:
        parsed = parse_free_text(text, today=today, language=patient.language)
        review = await review_entry(services.database, patient, parsed.procedure, parsed.on, now)
    except ImpossibleDateError as error:
        await reply(update, texts.impossible_date_text(str(error), t))
        return
    except DateOutOfRangeError:
        await reply(update, texts.out_of_range_text(today, t))
        return
    except NotATreatmentError:
        await reply(update, hint_text(t))
        return
    await reply(
        update,
        texts.understood_text(review, t),
        reply_markup=confirm_keyboard(callbacks.FREE_TEXT, review, t, other_date=True),
    )


def hint_text(t: Translator) -> str:
    """Examples of what free text can say."""
    return t.gettext(
        "I didn't catch a treatment and a date in that. I know Botox and microneedling; "
        "write for example:\n"
        "• had botox yesterday\n"
        "• microneedling on 20.11\n"
        "• botox planned 10 dec\n"
        "Or use /log to pick from buttons."
    )


async def on_save(update: Update, context: AppContext) -> None:
    """Save what was understood."""
    await save_from_button(update, context, callbacks.FREE_TEXT)


async def on_cancel(update: Update, context: AppContext) -> None:
    """Cancel: nothing is saved."""
    query = update.callback_query
    assert query is not None
    patient = await current_patient(update, context)
    t = language_of(update, patient)
    if callbacks.unpack(query.data, callbacks.FREE_TEXT) != ["x"]:
        await out_of_date(update, t)
        return
    await query.answer()
    await drop_buttons(update)
    await reply(update, cancelled_text(t))


def register(application: BotApp) -> None:
    """Register the free-text reader and its buttons; after every conversation."""
    application.add_handler(CallbackQueryHandler(on_save, pattern=f"^{callbacks.FREE_TEXT}:s(:|$)"))
    application.add_handler(
        CallbackQueryHandler(on_cancel, pattern=callbacks.pattern(callbacks.FREE_TEXT))
    )
    application.add_handler(MessageHandler(TYPED_TEXT & filters.ChatType.PRIVATE, on_text))
