"""/export, /delete and /stop: the patient's data and their say over our messages.

Every action works on the asker's own Telegram id, never on an id from a button. /delete
asks twice: /delete issues a nonce for this user, kept in memory with the time it was
asked; each answer must carry it, come in order and come within the conversation
timeout. So a forged or replayed button, one from before a restart, or one left too long
cannot delete anything: it is told it is out of date.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import InputFile, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers.common import current_patient, language_of, reply
from bot.handlers.flow import out_of_date, show
from bot.i18n import translator
from bot.render import privacy as view
from bot.usecases import patients, privacy
from storage.records import PatientState

CONFIRMING = 0
END = ConversationHandler.END
DELETE_DRAFT = "delete_request"


@dataclass
class DeleteRequest:
    """A /delete in progress: which question was asked last, when, under which nonce."""

    nonce: str
    step: str
    asked_at: datetime


def _user_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None
    return user.id


async def on_export(update: Update, context: AppContext) -> None:
    """/export: a JSON document of everything stored about the asker."""
    services = context.services
    export = await privacy.export_everything(
        services.database, _user_id(update), services.clock.now()
    )
    chat = update.effective_chat
    assert chat is not None
    if export is None:
        await reply(update, view.nothing_to_export(language_of(update)))
        return
    t = translator(export.language)
    data = json.dumps(export.document, ensure_ascii=False, indent=2).encode()
    await chat.send_document(
        document=InputFile(data, filename=view.export_filename(export.today)),
        caption=view.export_caption(export.today, t),
    )


async def on_delete(update: Update, context: AppContext) -> int:
    """/delete: the first of two questions."""
    services = context.services
    patient = await privacy.stored_patient(services.database, _user_id(update))
    t = language_of(update, patient)
    if patient is None:
        context.drafts.pop(DELETE_DRAFT, None)
        await reply(update, view.nothing_to_delete(t))
        return END
    nonce = secrets.token_urlsafe(6)
    context.drafts[DELETE_DRAFT] = DeleteRequest(nonce, view.ASK, services.clock.now())
    await reply(update, view.first_question(t), reply_markup=view.first_keyboard(nonce, t))
    return CONFIRMING


def _expected(context: AppContext, step: str, nonce: str, now: datetime) -> DeleteRequest | None:
    """The request this answer belongs to, if it is the awaited one and still fresh."""
    request = context.drafts.get(DELETE_DRAFT)
    if not isinstance(request, DeleteRequest):
        return None
    fresh = now - request.asked_at <= timedelta(
        seconds=context.services.settings.conversation_timeout
    )
    # A plain comparison: a nonce can only be pressed in its own chat, so there is no
    # other user's secret to probe.
    matches = request.nonce == nonce and request.step == step
    return request if matches and fresh else None


async def on_delete_button(update: Update, context: AppContext) -> int | None:
    """The answers to the two questions."""
    query = update.callback_query
    assert query is not None
    services = context.services
    user_id = _user_id(update)
    patient = await privacy.stored_patient(services.database, user_id)
    t = language_of(update, patient)
    now = services.clock.now()
    match callbacks.unpack(query.data, callbacks.PRIVACY):
        case [view.KEEP]:
            context.drafts.pop(DELETE_DRAFT, None)
            await query.answer()
            await show(update, view.kept(t), None)
            return END
        case [view.ASK, nonce] if request := _expected(context, view.ASK, nonce, now):
            request.step, request.asked_at = view.DELETE, now
            await query.answer()
            await show(update, view.second_question(t), view.second_keyboard(nonce, t))
            return CONFIRMING
        case [view.DELETE, nonce] if _expected(context, view.DELETE, nonce, now):
            context.drafts.pop(DELETE_DRAFT, None)
            await privacy.delete_everything(services.database, user_id, now)
            await query.answer()
            await show(update, view.deleted(t), None)
            return END
    # Stale, replayed or forged: nothing happens, and a /delete in progress stays as it is.
    await out_of_date(update, t, view.start_again(t))
    return None


async def on_cancel_delete(update: Update, context: AppContext) -> int:
    """/cancel between the questions."""
    context.drafts.pop(DELETE_DRAFT, None)
    patient = await current_patient(update, context)
    await reply(update, view.kept(language_of(update, patient)))
    return END


async def on_delete_timeout(update: object, context: AppContext) -> None:
    """The conversation timed out: the questions asked can no longer be answered."""
    context.drafts.pop(DELETE_DRAFT, None)


async def on_stop(update: Update, context: AppContext) -> None:
    """/stop: no reminders or news until /start."""
    patient = await current_patient(update, context)
    t = language_of(update, patient)
    if patient is None:
        await reply(update, view.nothing_to_pause(t))
        return
    if patient.state is PatientState.PAUSED:
        await reply(update, view.already_paused(t))
        return
    services = context.services
    await patients.pause(services.database, patient.id, services.clock.now())
    await reply(update, view.paused(t))


def register(application: BotApp) -> None:
    """Register /export, /delete and its buttons, and /stop."""
    application.add_handler(CommandHandler("export", on_export))
    buttons: CallbackQueryHandler[AppContext, object] = CallbackQueryHandler(
        on_delete_button, pattern=callbacks.pattern(callbacks.PRIVACY)
    )
    application.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("delete", on_delete), buttons],
            states={
                CONFIRMING: [buttons],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_delete_timeout)],
            },
            fallbacks=[
                CommandHandler("cancel", on_cancel_delete),
                CommandHandler("delete", on_delete),
            ],
            conversation_timeout=application.bot_data.settings.conversation_timeout,
            name="delete",
        )
    )
    application.add_handler(CommandHandler("stop", on_stop))
