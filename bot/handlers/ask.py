"""/ask and 💬 Ask my clinic: a patient's question to their clinic's staff.

The question is typed (a `TextStep`), shown back with "Send with my treatment history",
"Send without it" and Cancel, and only then stored and sent to the staff of the patient's
clinic (`bot.usecases.questions.ask`, which checks membership and the limits again). The
typed text waits in this user's `QuestionDraft`. Buttons: `qa:a` `qa:s` `qa:x`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler

from bot.buttons import AskClinic, QuestionCancel, QuestionSend
from bot.context import AppContext, BotApp
from bot.drafts import QuestionDraft
from bot.jobs.question_copies import relay_question
from bot.kit.buttons import Button
from bot.kit.conversation import conversation
from bot.kit.screens import answer, drop_buttons, reply
from bot.kit.text_steps import TextStep, ask_for_text, stop_asking
from bot.render import questions as view
from bot.render.common import ask_to_start
from bot.usecases.questions import (
    MAX_QUESTION,
    Asked,
    ask,
    check_text,
    clean,
    may_ask,
)
from storage.records import Clinic

TEXT = 40
TEXT_STEP = "ask:text"
END = ConversationHandler.END


async def on_ask(update: Update, context: AppContext) -> int:
    """/ask or the button: ask for the question, if the patient may ask now."""
    await answer(update, context)
    patient = context.patient
    if patient is None:
        await reply(update, ask_to_start(context.t))
        return END
    services = context.services
    asking = await may_ask(services.database, patient, services.clock.now())
    if asking.kind != "asked" or asking.clinic is None:
        await reply(update, view.refusal(asking.kind, 0, context.t))
        return END
    context.flows.question = None
    await reply(update, view.prompt(asking.clinic, MAX_QUESTION, context.t))
    ask_for_text(context, TEXT_STEP)
    return TEXT


async def on_ask_button(update: Update, context: AppContext, pressed: AskClinic) -> int:
    """💬 Ask my clinic, under /next or a reminder."""
    return await on_ask(update, context)


async def on_text(update: Update, context: AppContext) -> int:
    """The question: shown back with the two ways to send it."""
    message = update.effective_message
    if message is None or context.patient is None:
        return END
    text = clean(message.text or "")
    refused = check_text(text)
    if refused is not None:
        # Nothing is stored; the question stays open for a shorter text.
        await reply(update, view.refusal(refused, len(text), context.t))
        return TEXT
    services = context.services
    asking = await may_ask(services.database, context.patient, services.clock.now())
    if asking.kind != "asked" or asking.clinic is None:
        stop_asking(context, TEXT_STEP)
        await reply(update, view.refusal(asking.kind, 0, context.t))
        return END
    stop_asking(context, TEXT_STEP)
    context.flows.question = QuestionDraft(text)
    t = context.t
    await reply(update, view.confirm_text(asking.clinic, text, t), view.confirm_keyboard(t))
    return END


async def on_send(update: Update, context: AppContext, pressed: QuestionSend) -> int:
    """Send with or without the history: store it and relay it to the clinic's staff."""
    await answer(update, context)
    patient, draft = context.patient, context.flows.question
    if patient is None or draft is None:
        await drop_buttons(update)
        await reply(update, view.draft_gone(context.t))
        return END
    context.flows.question = None
    await drop_buttons(update)
    services = context.services
    asked = await ask(
        services.database,
        patient,
        draft.text,
        share_history=pressed.history == "yes",
        now=services.clock.now(),
    )
    await _after(update, context, asked, len(draft.text))
    return END


async def _after(update: Update, context: AppContext, asked: Asked, length: int) -> None:
    if asked.kind != "asked" or asked.relayed is None:
        await reply(update, view.refusal(asked.kind, length, context.t))
        return
    clinic: Clinic = asked.relayed.clinic
    await reply(update, view.sent(clinic, context.t))
    user = update.effective_user
    await relay_question(
        context.bot, context.services, asked.relayed, user.first_name if user else None
    )


async def on_cancel_button(update: Update, context: AppContext, pressed: QuestionCancel) -> int:
    """Cancel on the confirm screen."""
    await answer(update, context)
    await drop_buttons(update)
    return await on_cancel(update, context)


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel while the question is asked: nothing is sent."""
    context.flows.question = None
    stop_asking(context, TEXT_STEP)
    await reply(update, view.not_sent(context.t))
    return END


async def on_timeout(update: Update, context: AppContext) -> None:
    """The question was never typed: forget the flow, say nothing was sent."""
    if context.flows.question is None and context.flows.awaiting != TEXT_STEP:
        return
    context.flows.question = None
    stop_asking(context, TEXT_STEP)
    await reply(update, view.not_sent(context.t))


def register(application: BotApp) -> None:
    """Register /ask, its buttons and its text step."""
    entry_points: list[BaseHandler[Update, AppContext, object]] = [
        CommandHandler("ask", on_ask),
        Button(AskClinic, on_ask_button),
        Button(QuestionSend, on_send),
        Button(QuestionCancel, on_cancel_button),
    ]
    application.add_handler(
        conversation(
            application,
            "ask",
            entry_points=entry_points,
            states={TEXT: [TextStep(application, TEXT_STEP, on_text)]},
            fallbacks=[CommandHandler("cancel", on_cancel), *entry_points],
            on_timeout=on_timeout,
        )
    )
