"""/start: what Interval does, consent, time zone; /start again resumes after /stop.

The consent and time-zone buttons (`on`, `tz`) are entry points too, so a button pressed
after a restart (when the in-memory conversation is gone) still works.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, ConversationHandler

from bot.buttons import Consent, ZoneChoice
from bot.context import AppContext, BotApp
from bot.drafts import PendingLink
from bot.i18n import normalise_language
from bot.kit.buttons import Button
from bot.kit.conversation import conversation
from bot.kit.screens import answer, drop_buttons, reply
from bot.kit.text_steps import TextStep, ask_for_text, stop_asking
from bot.parsing.timezones import resolve_timezone
from bot.render import onboarding as view
from bot.usecases import patients
from bot.usecases.settings import SettingsChange, apply_settings

CONSENT, TIMEZONE = range(2)
END = ConversationHandler.END
ZONE_STEP = "start:zone"


async def on_start(update: Update, context: AppContext) -> int:
    """Greet; ask for consent if we have none, else welcome back (and resume after /stop)."""
    user = update.effective_user
    assert user is not None
    services = context.services
    arrival = await patients.arrive(services.database, user.id, services.clock.now())
    if context.args:
        context.flows.link = PendingLink(context.args[0])
    if arrival.patient is None:
        await reply(update, view.welcome(context.t), view.consent_keyboard(context.t))
        return CONSENT
    context.who = context.who.with_patient(arrival.patient)
    await reply(update, view.welcome_back(context.t, resumed=arrival.resumed))
    await after_onboarding(update, context)
    return END


async def on_consent(update: Update, context: AppContext, pressed: Consent) -> int:
    """The consent buttons."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None
    assert chat is not None
    await answer(update, context)
    await drop_buttons(update)
    if pressed.answer == "no":
        context.flows.link = None
        await reply(update, view.declined(context.t))
        return END
    services = context.services
    patient = await patients.consent(
        services.database,
        telegram_user_id=user.id,
        chat_id=chat.id,
        language=normalise_language(user.language_code),
        timezone=services.settings.default_timezone,
        now=services.clock.now(),
    )
    context.who = context.who.with_patient(patient)
    ask_for_text(context, ZONE_STEP)
    default_zone = services.settings.default_timezone
    await reply(update, view.zone_question(context.t), view.zone_keyboard(default_zone))
    return TIMEZONE


async def on_zone_button(update: Update, context: AppContext, pressed: ZoneChoice) -> int:
    """A time-zone button."""
    await answer(update, context)
    await drop_buttons(update)
    return await _set_zone(update, context, resolve_timezone(pressed.zone))


async def on_zone_text(update: Update, context: AppContext) -> int:
    """A typed city or zone name."""
    message = update.effective_message
    return await _set_zone(update, context, resolve_timezone(message.text or "" if message else ""))


async def _set_zone(update: Update, context: AppContext, zone: str | None) -> int:
    patient = context.patient
    services = context.services
    if patient is None:
        await reply(update, view.start_first(context.t))
        return END
    if zone is None:
        default_zone = services.settings.default_timezone
        await reply(update, view.zone_unknown(context.t), view.zone_keyboard(default_zone))
        return TIMEZONE
    stop_asking(context, ZONE_STEP)
    change = SettingsChange(timezone=zone)
    await apply_settings(services.database, patient.id, services.clock.now(), change)
    await reply(update, view.all_set(zone, context.t))
    await after_onboarding(update, context)
    return END


async def after_onboarding(update: Update, context: AppContext) -> None:
    """Act on a deep-link payload kept from /start (clinic links) once the patient exists."""
    link, context.flows.link = context.flows.link, None
    if link is None:
        return
    handler = context.bot_data.payload_handlers.get(link.payload[:2])
    if handler is None:
        await reply(update, view.link_not_valid(context.t))
        return
    await handler(update, context, link.payload)


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel inside onboarding."""
    await reply(update, view.stopped(context.t))
    return END


def register(application: BotApp) -> None:
    """Register /start and its buttons."""
    application.add_handler(
        conversation(
            application,
            "onboarding",
            entry_points=[
                CommandHandler("start", on_start),
                Button(Consent, on_consent),
                Button(ZoneChoice, on_zone_button),
            ],
            states={
                CONSENT: [Button(Consent, on_consent)],
                TIMEZONE: [
                    Button(ZoneChoice, on_zone_button),
                    TextStep(application, ZONE_STEP, on_zone_text),
                ],
            },
            fallbacks=[CommandHandler("cancel", on_cancel), CommandHandler("start", on_start)],
            allow_reentry=False,
        )
    )
