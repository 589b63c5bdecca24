"""Telegram handlers: each module parses updates, calls one use-case and renders the answer.

Order matters: within group 0 the first matching handler wins, so flows (conversations)
come before the free-text reader, and the catch-all for unknown input comes last. Before
any of them, `bot.kit.who` resolves who sent the update (group -10), staff invites are
answered (group -2), and a command or button press ends a wait for typed text (group -1).
"""

from __future__ import annotations

from bot.context import BotApp
from bot.handlers import (
    ask,
    calendar_file,
    clinic_join,
    dashboard,
    errors,
    fallback,
    free_text,
    help,
    history,
    log,
    membership,
    next_dates,
    privacy,
    private_only,
    question_answers,
    reminder_buttons,
    settings,
    staff,
    start,
    timeline,
)
from bot.kit import text_steps, throttle, who

# Add a module here in its place:
#   errors, who, start, [membership], [log], [history], [next_dates], [calendar_file],
#   [timeline], [settings], [privacy], [reminder_buttons], [clinic ...], [ask],
#   [question_answers], [help], [free_text], [fallback]
HANDLER_MODULES = (
    errors,
    throttle,  # group -20: one person's flood of updates is dropped before anything else
    private_only,  # group -15: nothing of a group is read or stored; it is pointed to a chat
    who,  # group -10: who sent the update, once, for every handler after it
    start,
    membership,
    text_steps,  # group -1: a command or button press ends a flow's wait for typed text
    log,
    history,
    next_dates,
    calendar_file,  # /calendar and the 📅 button under /next
    timeline,  # /timeline and the 📈 button under /next
    settings,
    privacy,
    private_only,
    reminder_buttons,
    clinic_join,  # also group -2: a staff invite is answered before onboarding asks consent
    staff,
    ask,  # /ask and 💬 Ask my clinic: a patient's question to their clinic
    question_answers,  # also group -5: a staff member's Telegram reply to a question's copy
    dashboard,  # /dashboard: staff get a sign-in link to the clinic dashboard
    help,
    free_text,  # after every conversation: a flow waiting for text gets it first
    fallback,  # last: it answers whatever nothing else took
)


def register_all(application: BotApp) -> None:
    """Register every handler module in order."""
    for module in HANDLER_MODULES:
        module.register(application)
