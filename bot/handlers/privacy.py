"""/export, /delete and /stop: the patient's data and their say over our messages.

Every action works on the asker's own Telegram id, never on an id from a button. /delete
asks twice: /delete issues a nonce for this user, kept in memory with the time it was
asked; each answer must carry it, come in order and come within the conversation
timeout. So a forged or replayed button, one from before a restart, or one left too long
cannot delete anything: it is told it is out of date.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from telegram import InputFile, Update
from telegram.ext import CommandHandler, ConversationHandler

from bot.buttons import DeleteAsk, DeleteConfirm, PrivacyKeep
from bot.context import AppContext, BotApp
from bot.drafts import DeleteRequest, DeleteStep
from bot.i18n import translator
from bot.kit.buttons import Button
from bot.kit.conversation import conversation
from bot.kit.screens import answer, reply, show, stale
from bot.render import privacy as view
from bot.usecases import patients, privacy
from storage.records import PatientState

CONFIRMING = 0
END = ConversationHandler.END


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
        await reply(update, view.nothing_to_export(context.t))
        return
    await chat.send_document(
        document=InputFile(view.export_bytes(export), filename=view.export_filename(export.today)),
        caption=view.export_caption(export.today, translator(export.language)),
    )


async def on_delete(update: Update, context: AppContext) -> int:
    """/delete: the first of two questions."""
    t = context.t
    if context.who.record is None:
        context.flows.delete = None
        await reply(update, view.nothing_to_delete(t))
        return END
    nonce = secrets.token_urlsafe(6)
    context.flows.delete = DeleteRequest(nonce, "a", context.services.clock.now())
    await reply(update, view.first_question(t), view.first_keyboard(nonce, t))
    return CONFIRMING


def _expected(
    context: AppContext, step: DeleteStep, nonce: str, now: datetime
) -> DeleteRequest | None:
    """The request this answer belongs to, if it is the awaited one and still fresh."""
    request = context.flows.delete
    if request is None:
        return None
    timeout = timedelta(seconds=context.services.settings.conversation_timeout)
    # A plain comparison: a nonce can only be pressed in its own chat, so there is no
    # other user's secret to probe.
    matches = request.nonce == nonce and request.step == step
    return request if matches and now - request.asked_at <= timeout else None


async def on_keep(update: Update, context: AppContext, pressed: PrivacyKeep) -> int:
    """Keep my data, at either question."""
    context.flows.delete = None
    await answer(update, context)
    await show(update, view.kept(context.t), None)
    return END


async def on_first_yes(update: Update, context: AppContext, pressed: DeleteAsk) -> int | None:
    """Yes to the first question: the second."""
    now = context.services.clock.now()
    request = _expected(context, "a", pressed.nonce, now)
    if request is None:
        await _stale(update, context)
        return None
    context.flows.delete = replace(request, step="d", asked_at=now)
    await answer(update, context)
    t = context.t
    await show(update, view.second_question(t), view.second_keyboard(pressed.nonce, t))
    return CONFIRMING


async def on_second_yes(update: Update, context: AppContext, pressed: DeleteConfirm) -> int | None:
    """Yes to the second question: delete everything."""
    services = context.services
    now = services.clock.now()
    if _expected(context, "d", pressed.nonce, now) is None:
        await _stale(update, context)
        return None
    context.flows.delete = None
    await privacy.delete_everything(services.database, _user_id(update), now)
    await answer(update, context)
    await show(update, view.deleted(context.t), None)
    return END


async def _stale(update: Update, context: AppContext) -> None:
    # Stale, replayed or forged: nothing happens, and a /delete in progress stays as it is.
    await stale(update, context, view.start_again(context.t))


async def on_cancel_delete(update: Update, context: AppContext) -> int:
    """/cancel between the questions."""
    context.flows.delete = None
    await reply(update, view.kept(context.t))
    return END


async def on_delete_timeout(update: Update, context: AppContext) -> None:
    """The conversation timed out: the questions asked can no longer be answered."""
    context.flows.delete = None


async def on_stop(update: Update, context: AppContext) -> None:
    """/stop: no reminders or news until /start."""
    patient = context.patient
    t = context.t
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
    buttons = [
        Button(PrivacyKeep, on_keep),
        Button(DeleteAsk, on_first_yes),
        Button(DeleteConfirm, on_second_yes),
    ]
    application.add_handler(
        conversation(
            application,
            "delete",
            entry_points=[CommandHandler("delete", on_delete), *buttons],
            states={CONFIRMING: buttons},
            fallbacks=[
                CommandHandler("cancel", on_cancel_delete),
                CommandHandler("delete", on_delete),
            ],
            on_timeout=on_delete_timeout,
            allow_reentry=False,
        )
    )
    application.add_handler(CommandHandler("stop", on_stop))
