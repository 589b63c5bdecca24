"""Clinic links: `/start j_<code>` joins a patient, `/start s_<code>` makes the opener staff.

A patient's link waits through consent (see `start.after_onboarding`), then comes to
`on_payload`. A staff invite does not need a patient at all, so `/start s_...` is caught in
group -2, before the onboarding conversation would ask for consent, and stops there.
"""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, CommandHandler, filters

from bot.buttons import ClinicStay, ClinicSwitch
from bot.context import AppContext, BotApp
from bot.handlers.commands_menu import publish_staff_commands
from bot.kit.buttons import Button
from bot.kit.screens import answer, drop_buttons, reply
from bot.kit.staff_messages import tell_owners_joined
from bot.render import clinic_links as view
from bot.render.common import ask_to_start
from bot.usecases.clinics import (
    JOIN_PREFIX,
    STAFF_PREFIX,
    JoinOutcome,
    open_join_link,
    switch_clinic,
)
from bot.usecases.team import redeem_invite

logger = logging.getLogger(__name__)

# Telegram's deep-link alphabet; anything else cannot be one of our codes.
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,62}$")
STAFF_INVITE_GROUP = -2
STAFF_START = re.compile(rf"^/start(@\w+)?\s+{STAFF_PREFIX}[A-Za-z0-9_-]*\s*$")


async def on_payload(update: Update, context: AppContext, payload: str) -> None:
    """A deep-link payload from /start, once the patient exists (or a staff invite)."""
    code = payload[2:]
    if payload.startswith(STAFF_PREFIX) and _CODE.match(code):
        await _redeem(update, context, code)
    elif payload.startswith(JOIN_PREFIX) and _CODE.match(code):
        await _join(update, context, code)
    else:
        await reply(update, view.link_not_valid(context.t))


async def _join(update: Update, context: AppContext, code: str) -> None:
    patient = context.patient
    if patient is None:
        await reply(update, ask_to_start(context.t))
        return
    services = context.services
    outcome = await open_join_link(services.database, patient.id, code, services.clock.now())
    await _joined(update, context, outcome, code)


async def _joined(update: Update, context: AppContext, outcome: JoinOutcome, code: str) -> None:
    t = context.t
    clinic = outcome.clinic
    if outcome.kind == "unknown" or clinic is None:
        await reply(update, view.link_not_valid(t))
    elif outcome.kind == "joined":
        await reply(update, view.joined(clinic, t))
    elif outcome.kind == "already":
        await reply(update, view.already_member(clinic, t))
    else:
        current = outcome.current
        await reply(
            update,
            view.switch_question(current, clinic, t),
            view.switch_keyboard(current, clinic, code, t),
        )


async def on_switch(update: Update, context: AppContext, pressed: ClinicSwitch) -> None:
    """Switch to the link's clinic."""
    await answer(update, context)
    await drop_buttons(update)
    patient = context.patient
    if patient is None:
        await reply(update, ask_to_start(context.t))
        return
    services = context.services
    outcome = await switch_clinic(services.database, patient.id, pressed.code, services.clock.now())
    await _joined(update, context, outcome, pressed.code)


async def on_stay(update: Update, context: AppContext, pressed: ClinicStay) -> None:
    """Stay with the current clinic."""
    await answer(update, context)
    await drop_buttons(update)
    await reply(update, view.stayed(context.t))


async def on_staff_start(update: Update, context: AppContext) -> None:
    """`/start s_<code>` from anyone, patient or not: redeem the invite, then stop."""
    payload = context.args[0] if context.args else ""
    code = payload[len(STAFF_PREFIX) :]
    if _CODE.match(code):
        await _redeem(update, context, code)
    else:
        await reply(update, view.link_not_valid(context.t))
    # The onboarding conversation must not also answer this /start with a consent question.
    raise ApplicationHandlerStop


async def _redeem(update: Update, context: AppContext, code: str) -> None:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    t = context.t
    services = context.services
    name = user.full_name + (f" (@{user.username})" if user.username else "")
    outcome = await redeem_invite(
        services.database,
        code,
        user.id,
        services.clock.now(),
        display_name=name,
        language=t.language,
    )
    if outcome.kind in ("accepted", "already") and outcome.clinic is not None:
        try:
            # The menu first, so that it is there when the welcome arrives.
            await publish_staff_commands(context.bot, chat.id, t.language)
        except TelegramError:
            # The commands still work when typed; the menu is a convenience.
            logger.exception("could not set the staff command menu")
        await reply(update, view.now_staff(outcome.clinic, t, already=outcome.kind == "already"))
        if outcome.kind == "accepted" and outcome.role is not None:
            await tell_owners_joined(
                context.bot, outcome.owners, name, outcome.clinic, outcome.role
            )
        return
    await reply(update, view.invite_refused(outcome.kind, t))


def register(application: BotApp) -> None:
    """Answer deep-link payloads, staff invites before consent, and the switch buttons."""
    application.bot_data.payload_handlers[JOIN_PREFIX] = on_payload
    application.bot_data.payload_handlers[STAFF_PREFIX] = on_payload
    # Group -2 runs before the onboarding conversation (group 0) and before the text-step
    # gate (group -1, which takes every command there), and stops propagation.
    application.add_handler(
        CommandHandler("start", on_staff_start, filters=filters.Regex(STAFF_START)),
        group=STAFF_INVITE_GROUP,
    )
    application.add_handler(Button(ClinicSwitch, on_switch))
    application.add_handler(Button(ClinicStay, on_stay))
