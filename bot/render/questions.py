"""Questions to the clinic: the patient's screens, the copies staff get, and the answer.

Everything a patient or a staff member wrote is escaped here; the patient's first name
comes from Telegram at the moment they ask and is not stored, so later texts (the
reminder, a copy once answered) name them by member number only.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot.buttons import AskClinic, QuestionCancel, QuestionReply, QuestionSend
from bot.delivery.rendering import Rendered, RenderError
from bot.i18n import Translator, translator
from bot.render.keyboards import button, keyboard
from bot.render.treatments import entry_label
from bot.usecases.payloads import Payload, QuestionAnswer
from bot.usecases.questions import DAILY_QUESTIONS, MAX_QUESTION, Answered, AskKind, Relayed
from storage.recipients import Recipient
from storage.records import Clinic, OutboxMessage, Question

# How much of the question the patient sees again above the answer.
_EXCERPT = 300


def _bold(text: str) -> str:
    return f"<b>{html.escape(text)}</b>"


def _excerpt(text: str) -> str:
    short = text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"
    return html.escape(short)


def ask_button(t: Translator) -> InlineKeyboardMarkup:
    """💬 Ask my clinic, on its own."""
    return keyboard([button(ask_label(t), AskClinic())])


def ask_label(t: Translator) -> str:
    """The label of the button under /next and reminders."""
    return t.gettext("💬 Ask my clinic")


# --- the patient's side ----------------------------------------------------------------------


def prompt(clinic: Clinic, limit: int, t: Translator) -> str:
    """/ask: what to type."""
    return t.gettext(
        "💬 What would you like to ask {clinic}? Write your question in one message (up to "
        "{limit} characters). /cancel to stop."
    ).format(clinic=_bold(clinic.name), limit=limit)


def not_member(t: Translator) -> str:
    """/ask without a clinic: how to join one."""
    return t.gettext(
        "💬 Questions go to the clinic you are linked to, and you are not linked to one yet. "
        "Ask your clinic for its Interval join link (or its QR code) and open it; then you "
        "can ask them here with /ask."
    )


def too_many(limit: int, t: Translator) -> str:
    """The day's questions are used up."""
    return t.ngettext(
        "You have already asked {limit} question today, the most for one day. Nothing was "
        "sent; you can ask again tomorrow.",
        "You have already asked {limit} questions today, the most for one day. Nothing was "
        "sent; you can ask again tomorrow.",
        limit,
    ).format(limit=limit)


def too_long(length: int, limit: int, t: Translator) -> str:
    """A question over the limit."""
    return t.gettext(
        "That is {length} characters; a question can have at most {limit}. Nothing was "
        "sent: please write it shorter."
    ).format(length=length, limit=limit)


def empty(t: Translator) -> str:
    """Nothing but blanks."""
    return t.gettext("Please write your question as text, or /cancel.")


def refusal(kind: AskKind, length: int, t: Translator) -> str:
    """Why a question cannot be asked or sent (`length`: the typed text's)."""
    if kind == "not_member":
        return not_member(t)
    if kind == "too_many":
        return too_many(DAILY_QUESTIONS, t)
    if kind == "too_long":
        return too_long(length, MAX_QUESTION, t)
    return empty(t)


def confirm_text(clinic: Clinic, text: str, t: Translator) -> str:
    """The question before it is sent, and what the clinic will see."""
    return "\n\n".join(
        [
            t.gettext("Send this question to {clinic}?").format(clinic=_bold(clinic.name)),
            f"<i>{html.escape(text)}</i>",
            t.gettext(
                "The clinic's staff will see your first name and your member number. Your "
                "treatment history goes with it only if you choose so."
            ),
        ]
    )


def confirm_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """With my history / without it / Cancel."""
    return keyboard(
        [button(t.gettext("📋 Send with my treatment history"), QuestionSend("yes"))],
        [button(t.gettext("✉️ Send without it"), QuestionSend("no"))],
        [button(t.gettext("Cancel"), QuestionCancel())],
    )


def sent(clinic: Clinic, t: Translator) -> str:
    """The question went to the clinic's staff."""
    return t.gettext("✅ Sent to {clinic}. Their answer will come here.").format(
        clinic=_bold(clinic.name)
    )


def not_sent(t: Translator) -> str:
    """Cancel, /cancel, or a timeout: nothing went out."""
    return t.gettext("OK, your question was not sent.")


def draft_gone(t: Translator) -> str:
    """A Send button whose question is no longer waiting (sent already, or too old)."""
    return t.gettext("There is no question waiting to be sent. /ask to write one.")


def render_answer(
    message: OutboxMessage, payload: Payload, recipient: Recipient, now: datetime
) -> Rendered:
    """The clinic's answer as the patient's message, in their language at send time."""
    if not isinstance(payload, QuestionAnswer):
        raise RenderError("not an answer payload")
    t = translator(recipient.patient.language)
    text = "\n\n".join(
        [
            t.gettext("💬 <b>Answer from {clinic}</b>").format(clinic=html.escape(payload.clinic)),
            t.gettext("You asked: {question}").format(
                question=f"<i>{_excerpt(payload.question)}</i>"
            ),
            html.escape(payload.answer),
            t.gettext("To ask something else, send /ask."),
        ]
    )
    return Rendered(text=text)


# --- the staff's side ------------------------------------------------------------------------


def _who(first_name: str | None, number: int, t: Translator) -> str:
    if first_name:
        return t.gettext("{name}, member #{number}").format(
            name=html.escape(first_name[:64]), number=number
        )
    return t.gettext("member #{number}").format(number=number)


def _history(relayed: Relayed, t: Translator) -> str:
    if not relayed.question.shared_history:
        return t.gettext("Treatment history: not shared.")
    if not relayed.history:
        return t.gettext("Treatment history: nothing logged yet.")
    lines = [t.gettext("Treatment history (newest first):")]
    lines += [
        f"• {entry_label(entry.procedure, entry.on, relayed.today, t)}" for entry in relayed.history
    ]
    return "\n".join(lines)


def _local(at: datetime, clinic: Clinic, t: Translator) -> str:
    local = at.astimezone(ZoneInfo(clinic.timezone))
    return f"{t.short_date(local.date())} {local:%H:%M}"


def relay_text(relayed: Relayed, first_name: str | None, t: Translator) -> str:
    """The question in a staff member's chat, with how to answer."""
    question = relayed.question
    return "\n\n".join(
        [
            t.gettext("💬 <b>Question from {who}</b>").format(
                who=_who(first_name, relayed.member_number, t)
            ),
            html.escape(question.text),
            _history(relayed, t),
            t.gettext(
                "Reply to this message, or press Reply. The patient gets the answer from {clinic}."
            ).format(clinic=_bold(relayed.clinic.name)),
        ]
    )


def reminder_text(relayed: Relayed, t: Translator) -> str:
    """The one reminder about a question nobody answered."""
    question = relayed.question
    return "\n\n".join(
        [
            t.gettext("⏰ <b>Still unanswered</b>: the question from {who}, asked {at}.").format(
                who=_who(None, relayed.member_number, t),
                at=_local(question.asked_at, relayed.clinic, t),
            ),
            html.escape(question.text),
            _history(relayed, t),
            t.gettext("Reply to this message, or press Reply."),
        ]
    )


def relay_keyboard(question_id: int, t: Translator) -> InlineKeyboardMarkup:
    """Reply, under a question in a staff chat."""
    return keyboard([button(t.gettext("↩️ Reply"), QuestionReply(question_id))])


def answered_copy(question: Question, clinic: Clinic, number: int | None, t: Translator) -> str:
    """A staff copy of the question once someone answered it, and by whom."""
    name = question.answered_by_name or "?"
    asked = (
        t.gettext("Question from member #{number}:").format(number=number)
        if number is not None
        else t.gettext("Question:")
    )
    return "\n\n".join(
        [
            t.gettext("✅ <b>Answered by {name}</b>").format(name=html.escape(name)),
            f"{asked}\n<i>{html.escape(question.text)}</i>",
            t.gettext("Answer from {clinic}:").format(clinic=_bold(clinic.name))
            + "\n"
            + html.escape(question.answer or ""),
        ]
    )


def answer_prompt(found: Answered, limit: int, t: Translator) -> str:
    """Reply pressed: what to type, and for whom."""
    question, clinic = found.question, found.clinic
    assert question is not None
    assert clinic is not None
    return t.gettext(
        "✍️ Write your answer to member #{number} (up to {limit} characters): it goes to the "
        "patient from {clinic}. /cancel to stop.\n\nTheir question: {question}"
    ).format(
        number=found.member_number,
        limit=limit,
        clinic=_bold(clinic.name),
        question=f"<i>{_excerpt(question.text)}</i>",
    )


def answer_result(found: Answered, limit: int, t: Translator) -> str:
    """What became of a staff member's answer."""
    clinic = found.clinic.name if found.clinic else "?"
    question = found.question
    if found.kind == "answered":
        return t.gettext("✅ Sent to the patient, from {clinic}.").format(clinic=_bold(clinic))
    if found.kind == "already":
        name = question.answered_by_name if question and question.answered_by_name else "?"
        return t.gettext(
            "This question was already answered by {name}. Your reply was not sent."
        ).format(name=html.escape(name))
    if found.kind == "not_staff":
        return t.gettext(
            "You are not staff of this question's clinic any more. Your reply was not sent."
        )
    if found.kind == "not_member":
        return t.gettext(
            "The patient is no longer a member of {clinic}. Your reply was not sent."
        ).format(clinic=_bold(clinic))
    if found.kind == "too_long":
        return t.gettext(
            "An answer can have at most {limit} characters. Nothing was sent: please write "
            "it shorter."
        ).format(limit=limit)
    if found.kind == "empty":
        return t.gettext("Please write your answer as text, or /cancel.")
    return t.gettext("This question no longer exists. Your reply was not sent.")


def answer_timed_out(t: Translator) -> str:
    """The answer was not written in time."""
    return t.gettext("No answer was sent. Press Reply again under the question when ready.")
