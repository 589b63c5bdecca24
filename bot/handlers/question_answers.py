"""Staff answering patients' questions: a Telegram reply to the copy, or Reply and the text.

A reply is matched against the copies the bot sent (`question_relays`, by chat and message
id) in group -5, before any flow or the free-text reader could take the text for something
else; a reply to any other message passes on untouched. Both ways end in
`bot.usecases.questions.answer`, which checks, in the transaction that records the answer,
that the sender is still staff of the question's clinic and the patient still its member,
and takes the answer once. Buttons: `qa:r`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.buttons import QuestionReply
from bot.context import AppContext, BotApp
from bot.drafts import AnswerDraft
from bot.jobs.question_copies import mark_answered
from bot.kit.buttons import Button
from bot.kit.conversation import conversation
from bot.kit.screens import answer as answer_press
from bot.kit.screens import reply
from bot.kit.text_steps import TYPED_TEXT, TextStep, ask_for_text, stop_asking
from bot.render import questions as view
from bot.usecases.questions import (
    MAX_ANSWER,
    Answered,
    answer,
    question_for_staff,
    relayed_question,
)

REPLY_GROUP = -5
TEXT = 41
TEXT_STEP = "answer:text"
END = ConversationHandler.END


async def _answer(update: Update, context: AppContext, question_id: int, text: str) -> None:
    user = update.effective_user
    assert user is not None
    services = context.services
    found = await answer(
        services.database,
        user.id,
        question_id,
        text,
        services.clock.now(),
        name=user.first_name,
    )
    await reply(update, view.answer_result(found, MAX_ANSWER, context.t))
    if found.kind == "answered":
        context.services.dispatcher.wake()
        await mark_answered(context.bot, found)


async def on_reply_to_copy(update: Update, context: AppContext) -> None:
    """A Telegram reply to a question's copy answers it; other replies pass on."""
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if message is None or replied is None or update.effective_user is None:
        return
    if replied.from_user is None or not replied.from_user.is_bot:
        return
    question_id = await relayed_question(
        context.services.database, message.chat.id, replied.message_id
    )
    if question_id is None:
        return
    context.flows.answer = None
    stop_asking(context, TEXT_STEP)
    await _answer(update, context, question_id, message.text or "")
    raise ApplicationHandlerStop


async def on_reply_button(update: Update, context: AppContext, pressed: QuestionReply) -> int:
    """Reply under a question: ask for the answer, if the presser may give it."""
    await answer_press(update, context)
    user = update.effective_user
    assert user is not None
    found = await question_for_staff(context.services.database, user.id, pressed.question)
    if found.kind != "answered":
        await reply(update, view.answer_result(found, MAX_ANSWER, context.t))
        return END
    context.flows.answer = AnswerDraft(pressed.question)
    await reply(update, view.answer_prompt(found, MAX_ANSWER, context.t))
    ask_for_text(context, TEXT_STEP)
    return TEXT


async def on_text(update: Update, context: AppContext) -> int:
    """The answer typed after Reply."""
    message, draft = update.effective_message, context.flows.answer
    if message is None or draft is None:
        return END
    text = (message.text or "").strip()
    if not text or len(text) > MAX_ANSWER:
        # Nothing is sent; the question stays open for a shorter text.
        await reply(update, view.answer_result(_refused(text), MAX_ANSWER, context.t))
        return TEXT
    context.flows.answer = None
    stop_asking(context, TEXT_STEP)
    await _answer(update, context, draft.question_id, text)
    return END


def _refused(text: str) -> Answered:
    return Answered("empty" if not text else "too_long")


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel while the answer is asked: nothing is sent."""
    context.flows.answer = None
    stop_asking(context, TEXT_STEP)
    await reply(update, view.answer_timed_out(context.t))
    return END


async def on_timeout(update: Update, context: AppContext) -> None:
    """The answer was not written in time."""
    if context.flows.answer is None:
        return
    context.flows.answer = None
    stop_asking(context, TEXT_STEP)
    await reply(update, view.answer_timed_out(context.t))


def register(application: BotApp) -> None:
    """Register the reply matcher (group -5) and the Reply button's conversation."""
    application.add_handler(
        MessageHandler(TYPED_TEXT & filters.REPLY, on_reply_to_copy), group=REPLY_GROUP
    )
    entry_points: list[BaseHandler[Update, AppContext, object]] = [
        Button(QuestionReply, on_reply_button)
    ]
    application.add_handler(
        conversation(
            application,
            "answer",
            entry_points=entry_points,
            states={TEXT: [TextStep(application, TEXT_STEP, on_text)]},
            fallbacks=[CommandHandler("cancel", on_cancel), *entry_points],
            on_timeout=on_timeout,
        )
    )
