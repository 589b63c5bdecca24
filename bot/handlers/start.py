"""/start: what Interval does, consent, time zone; /start again resumes after /stop.

The consent and time-zone buttons are entry points too, so a button pressed after a restart
(when the in-memory conversation is gone) still works.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers.common import language_of, reply
from bot.handlers.flow import TextStep, ask_for_text, drop_buttons, stop_asking
from bot.i18n import Translator, normalise_language
from bot.parsing.timezones import resolve_timezone
from bot.render.words import provider_prompt
from bot.usecases import patients
from bot.usecases.settings import change_settings

CONSENT, TIMEZONE = range(2)
ZONE_STEP = "start:zone"

COMMON_ZONES = (
    "Europe/London",
    "Europe/Madrid",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Mexico_City",
    "Australia/Sydney",
)

# A deep-link payload waits here while a new patient goes through consent (see clinics).
PAYLOAD_DRAFT = "start_payload"


def _welcome(t: Translator) -> str:
    return t.gettext(
        "👋 <b>Welcome to Interval.</b>\n\n"
        "Tell me when you had, or plan, Botox or microneedling. I work out the earliest "
        "appropriate date for the other one (microneedling at least 7 days before Botox, "
        "or at least 14 days after it) and remind you on the right day.\n\n"
        "I give guidance, not medical advice: always confirm dates with your provider.\n\n"
        "To do this I need to store the treatment dates you tell me. You can download or "
        "delete them at any time with /export and /delete. Do you agree?"
    )


def _consent_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("✅ I agree"),
                    callback_data=callbacks.pack(callbacks.ONBOARDING, "yes"),
                ),
                InlineKeyboardButton(
                    t.gettext("No, thanks"),
                    callback_data=callbacks.pack(callbacks.ONBOARDING, "no"),
                ),
            ]
        ]
    )


def timezone_keyboard(default_zone: str) -> InlineKeyboardMarkup:
    """Buttons for the configured default zone and a few common ones."""
    zones = [default_zone, *(z for z in COMMON_ZONES if z != default_zone)]
    rows = [
        [
            InlineKeyboardButton(zone, callback_data=callbacks.pack(callbacks.TIMEZONE, zone))
            for zone in zones[i : i + 2]
        ]
        for i in range(0, len(zones), 2)
    ]
    return InlineKeyboardMarkup(rows)


async def on_start(update: Update, context: AppContext) -> int:
    """Greet; ask for consent if we have none, else welcome back (and resume after /stop)."""
    user = update.effective_user
    assert user is not None
    services = context.services
    arrival = await patients.arrive(services.database, user.id, services.clock.now())
    if context.args:
        context.drafts[PAYLOAD_DRAFT] = context.args[0]
    if arrival.patient is None:
        t = language_of(update)
        await reply(update, _welcome(t), reply_markup=_consent_keyboard(t))
        return CONSENT
    t = language_of(update, arrival.patient)
    if arrival.resumed:
        text = t.gettext("▶️ Welcome back: messages are on again and your reminders are planned.")
    else:
        text = t.gettext("👋 Welcome back.")
    await reply(
        update,
        text
        + "\n\n"
        + t.gettext("Log a treatment with /log, or just write “had botox yesterday”.")
        + "\n"
        + t.gettext("/next shows when each procedure is possible."),
    )
    await after_onboarding(update, context)
    return ConversationHandler.END


async def on_consent(update: Update, context: AppContext) -> int:
    """The consent buttons."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None
    assert user is not None
    assert update.effective_chat is not None
    parts = callbacks.unpack(query.data, callbacks.ONBOARDING)
    t = language_of(update)
    await query.answer()
    await drop_buttons(update)
    if parts != ["yes"]:
        await reply(
            update,
            t.gettext(
                "No problem: nothing was stored. If you change your mind, send /start again."
            ),
        )
        context.drafts.pop(PAYLOAD_DRAFT, None)
        return ConversationHandler.END
    services = context.services
    await patients.consent(
        services.database,
        telegram_user_id=user.id,
        chat_id=update.effective_chat.id,
        language=normalise_language(user.language_code),
        timezone=services.settings.default_timezone,
        now=services.clock.now(),
    )
    ask_for_text(context, ZONE_STEP)
    await reply(
        update,
        t.gettext(
            "Thank you. Which time zone are you in? Reminders arrive in the morning, your "
            "time. Pick one, or type your city (for example “Madrid” or “New York”)."
        ),
        reply_markup=timezone_keyboard(services.settings.default_timezone),
    )
    return TIMEZONE


async def on_timezone_button(update: Update, context: AppContext) -> int:
    """A time-zone button."""
    query = update.callback_query
    assert query is not None
    parts = callbacks.unpack(query.data, callbacks.TIMEZONE) or [""]
    zone = resolve_timezone(parts[0])
    await query.answer()
    await drop_buttons(update)
    return await _set_zone(update, context, zone)


async def on_timezone_text(update: Update, context: AppContext) -> int:
    """A typed city or zone name."""
    assert update.effective_message is not None
    return await _set_zone(update, context, resolve_timezone(update.effective_message.text or ""))


async def _set_zone(update: Update, context: AppContext, zone: str | None) -> int:
    user = update.effective_user
    assert user is not None
    services = context.services
    async with services.database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(user.id)
    if patient is None or patient.consent_at is None:
        await reply(update, language_of(update).gettext("Please send /start first."))
        return ConversationHandler.END
    t = language_of(update, patient)
    if zone is None:
        await reply(
            update,
            t.gettext(
                "I don't know that place. Type a bigger city nearby, or a zone name such as "
                "“Europe/Madrid”, or pick a button."
            ),
            reply_markup=timezone_keyboard(services.settings.default_timezone),
        )
        return TIMEZONE
    stop_asking(context, ZONE_STEP)
    await change_settings(services.database, patient.id, services.clock.now(), timezone=zone)
    await reply(
        update,
        t.gettext("All set: your time zone is {zone}.").format(zone=zone)
        + "\n\n"
        + t.gettext("Log a treatment with /log, or just write “had botox yesterday”.")
        + "\n\n"
        + provider_prompt(t),
    )
    await after_onboarding(update, context)
    return ConversationHandler.END


async def after_onboarding(update: Update, context: AppContext) -> None:
    """Act on a deep-link payload kept from /start (clinic links) once the patient exists."""
    payload = context.drafts.pop(PAYLOAD_DRAFT, None)
    if payload is None:
        return
    handler = context.bot_data.payload_handler
    if handler is None:
        await reply(update, language_of(update).gettext("That link is not valid any more."))
        return
    await handler(update, context, str(payload))


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel inside onboarding."""
    t = language_of(update)
    await reply(update, t.gettext("Stopped. Send /start whenever you like."))
    return ConversationHandler.END


def register(application: BotApp) -> None:
    """Register /start and its buttons."""
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler("start", on_start),
                CallbackQueryHandler(on_consent, pattern=callbacks.pattern(callbacks.ONBOARDING)),
                CallbackQueryHandler(
                    on_timezone_button, pattern=callbacks.pattern(callbacks.TIMEZONE)
                ),
            ],
            states={
                CONSENT: [
                    CallbackQueryHandler(
                        on_consent, pattern=callbacks.pattern(callbacks.ONBOARDING)
                    )
                ],
                TIMEZONE: [
                    CallbackQueryHandler(
                        on_timezone_button, pattern=callbacks.pattern(callbacks.TIMEZONE)
                    ),
                    TextStep(application, ZONE_STEP, on_timezone_text),
                ],
            },
            fallbacks=[CommandHandler("cancel", on_cancel), CommandHandler("start", on_start)],
            conversation_timeout=application.bot_data.settings.conversation_timeout,
            name="onboarding",
        )
    )
