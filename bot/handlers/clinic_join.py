"""Clinic links: `/start j_<code>` joins a patient, `/start s_<code>` makes the opener staff.

A patient's link waits through consent (see `start.after_onboarding`), then comes to
`on_payload`. A staff invite does not need a patient at all, so `/start s_...` is caught in
group -2, before the onboarding conversation would ask for consent, and stops there.

Callback data (prefix `cl`): `cl:sw:<join code>` switch to the link's clinic (the code, not
a clinic id, so a forged button cannot join a clinic one has no link to), `cl:stay`.
"""

from __future__ import annotations

import html
import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers.common import ask_to_start, current_patient, language_of, reply
from bot.handlers.staff_access import publish_staff_commands
from bot.i18n import Translator
from bot.usecases.clinics import (
    JOIN_PREFIX,
    STAFF_PREFIX,
    open_join_link,
    redeem_invite,
    switch_clinic,
)
from storage.records import Clinic

logger = logging.getLogger(__name__)

# Telegram's deep-link alphabet; anything else cannot be one of our codes.
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,62}$")
STAFF_INVITE_GROUP = -2
STAFF_START = re.compile(rf"^/start(@\w+)?\s+{STAFF_PREFIX}[A-Za-z0-9_-]*\s*$")


def _clinic_details(clinic: Clinic, t: Translator) -> list[str]:
    lines = []
    if clinic.contact:
        lines.append(t.gettext("Contact: {contact}").format(contact=html.escape(clinic.contact)))
    if clinic.booking_url:
        lines.append(t.gettext("Book: {url}").format(url=html.escape(clinic.booking_url)))
    return lines


async def on_payload(update: Update, context: AppContext, payload: str) -> None:
    """A deep-link payload from /start, once the patient exists (or a staff invite)."""
    code = payload[2:]
    if payload.startswith(STAFF_PREFIX) and _CODE.match(code):
        await _redeem(update, context, code)
    elif payload.startswith(JOIN_PREFIX) and _CODE.match(code):
        await _join(update, context, code)
    else:
        await _unknown_link(update)


async def _unknown_link(update: Update) -> None:
    t = language_of(update)
    await reply(
        update,
        t.gettext("That link is not valid any more. Please ask your clinic for a new one."),
    )


# --- patients ------------------------------------------------------------------------------------


async def _join(update: Update, context: AppContext, code: str) -> None:
    patient = await current_patient(update, context)
    if patient is None:
        await ask_to_start(update)
        return
    t = language_of(update, patient)
    services = context.services
    outcome = await open_join_link(services.database, patient.id, code, services.clock.now())
    if outcome.kind == "unknown" or outcome.clinic is None:
        await _unknown_link(update)
    elif outcome.kind == "joined":
        await _joined(update, outcome.clinic, t)
    elif outcome.kind == "already":
        await reply(
            update,
            t.gettext("You are already linked to {clinic}.").format(
                clinic=f"<b>{html.escape(outcome.clinic.name)}</b>"
            ),
        )
    else:
        current = outcome.current
        current_name = html.escape(current.name) if current else "?"
        new_name = html.escape(outcome.clinic.name)
        await reply(
            update,
            t.gettext(
                "You are linked to <b>{current}</b>. Switch to <b>{clinic}</b>? You can be "
                "with one clinic at a time; your reminders will follow the new clinic's guidance."
            ).format(current=current_name, clinic=new_name),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            t.gettext("Switch to {clinic}").format(clinic=outcome.clinic.name[:40]),
                            callback_data=callbacks.pack(callbacks.CLINIC, "sw", code),
                        )
                    ],
                    [
                        InlineKeyboardButton(
                            t.gettext("Stay with {clinic}").format(
                                clinic=current.name[:40] if current else "?"
                            ),
                            callback_data=callbacks.pack(callbacks.CLINIC, "stay"),
                        )
                    ],
                ]
            ),
        )


async def _joined(update: Update, clinic: Clinic, t: Translator) -> None:
    lines = [
        t.gettext(
            "🏥 You are now linked to {clinic}. Your dates and reminders follow its guidance."
        ).format(clinic=f"<b>{html.escape(clinic.name)}</b>"),
        *_clinic_details(clinic, t),
        t.gettext("You can leave the clinic, or turn off its messages, in /settings."),
    ]
    await reply(update, "\n".join(lines))


async def on_switch_button(update: Update, context: AppContext) -> None:
    """`cl:sw:<code>` / `cl:stay`: the answer to "switch clinics?"."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    if isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(reply_markup=None)
        except BadRequest as exc:
            logger.debug("could not remove a keyboard: %s", exc.message)
    parts = callbacks.unpack(query.data, callbacks.CLINIC) or []
    patient = await current_patient(update, context)
    if patient is None:
        await ask_to_start(update)
        return
    t = language_of(update, patient)
    if parts == ["stay"]:
        await reply(update, t.gettext("Fine: nothing changed."))
        return
    if len(parts) != 2 or not _CODE.match(parts[1]):
        return
    services = context.services
    outcome = await switch_clinic(services.database, patient.id, parts[1], services.clock.now())
    if outcome.kind == "unknown" or outcome.clinic is None:
        await _unknown_link(update)
    elif outcome.kind == "already":
        await reply(
            update,
            t.gettext("You are already linked to {clinic}.").format(
                clinic=f"<b>{html.escape(outcome.clinic.name)}</b>"
            ),
        )
    else:
        await _joined(update, outcome.clinic, t)


# --- staff ---------------------------------------------------------------------------------------


async def on_staff_start(update: Update, context: AppContext) -> None:
    """`/start s_<code>` from anyone, patient or not: redeem the invite, then stop."""
    payload = context.args[0] if context.args else ""
    code = payload[len(STAFF_PREFIX) :]
    if _CODE.match(code):
        await _redeem(update, context, code)
    else:
        await _unknown_link(update)
    # The onboarding conversation must not also answer this /start with a consent question.
    raise ApplicationHandlerStop


async def _redeem(update: Update, context: AppContext, code: str) -> None:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return
    t = language_of(update, await current_patient(update, context))
    services = context.services
    outcome = await redeem_invite(services.database, code, user.id, services.clock.now())
    if outcome.kind in ("accepted", "already") and outcome.clinic is not None:
        try:
            # The menu first, so that it is there when the welcome arrives.
            await publish_staff_commands(context.bot, chat.id, t.language)
        except TelegramError:
            # The commands still work when typed; the menu is a convenience.
            logger.exception("could not set the staff command menu")
        name = f"<b>{html.escape(outcome.clinic.name)}</b>"
        head = (
            t.gettext("✅ You are now staff of {clinic}.")
            if outcome.kind == "accepted"
            else t.gettext("You are already staff of {clinic}.")
        ).format(clinic=name)
        await reply(
            update,
            head
            + "\n\n"
            + t.gettext(
                "/broadcast — write to your patients\n"
                "/guidance — your spacing rules, and changing them\n"
                "/stats — your numbers"
            ),
        )
        return
    texts = {
        "used": t.gettext("This staff invite has already been used. Please ask for a new one."),
        "expired": t.gettext(
            "This staff invite has expired (invites last 7 days). Please ask for a new one."
        ),
    }
    await reply(
        update,
        texts.get(
            outcome.kind,
            t.gettext(
                "This staff invite is not valid. Please check the link or ask for a new one."
            ),
        ),
    )


def register(application: BotApp) -> None:
    """Answer deep-link payloads, staff invites before consent, and the switch buttons."""
    application.bot_data.payload_handler = on_payload
    # Group -2 runs before the onboarding conversation (group 0) and before `flow`'s gate
    # (group -1, which takes every command there), and stops propagation.
    application.add_handler(
        CommandHandler("start", on_staff_start, filters=filters.Regex(STAFF_START)),
        group=STAFF_INVITE_GROUP,
    )
    application.add_handler(
        CallbackQueryHandler(on_switch_button, pattern=rf"^{callbacks.CLINIC}:(sw|stay)(:|$)")
    )
