"""/settings: time zone, reminder time, early reminder, quiet hours, language, clinic news,
aftercare notes and clinic. Every change goes through `change_settings` (or leaving a clinic), which
re-plans reminders in the same transaction, and is confirmed in plain words.

The menu lives on one message that each press edits. Its buttons are entry points, so a
button pressed after a restart still works; only a typed city needs conversation state
(and a text-step mark, so that text goes elsewhere once the patient has moved on). Button
data names a setting and its new value, never a patient: a press changes the presser's own
settings, so forged or replayed data can reach nobody else's.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, ConversationHandler

from bot.buttons import (
    SettingsAftercare,
    SettingsHeadsUp,
    SettingsHour,
    SettingsLanguage,
    SettingsLeave,
    SettingsLeaveAsk,
    SettingsNews,
    SettingsOpen,
    SettingsQuiet,
    SettingsZone,
)
from bot.context import AppContext, BotApp
from bot.i18n import translator
from bot.kit.buttons import Button
from bot.kit.conversation import conversation
from bot.kit.screens import answer, reply, show, stale
from bot.kit.text_steps import TextStep, ask_for_text, stop_asking
from bot.parsing.timezones import resolve_timezone
from bot.render import settings as view
from bot.render.common import ask_to_start
from bot.render.onboarding import offered_zones
from bot.usecases.membership import current_clinic, leave_clinic
from bot.usecases.settings import SettingsChange, apply_settings
from storage.records import Patient

TYPING_ZONE = 0
END = ConversationHandler.END
ZONE_STEP = "settings:zone"

Screen = tuple[str, InlineKeyboardMarkup | None]


async def on_settings(update: Update, context: AppContext) -> int:
    """/settings: the current values and a button per setting."""
    patient = context.patient
    if patient is None:
        await reply(update, ask_to_start(context.t))
        return END
    clinic = await current_clinic(context.services.database, patient.id)
    await reply(
        update, view.summary(patient, clinic, context.t), view.main_menu(patient, context.t)
    )
    return END


async def _pressed(update: Update, context: AppContext) -> Patient | None:
    """The presser's patient; someone who never consented is told the button is stale."""
    if context.patient is None:
        await stale(update, context)
    return context.patient


async def _done(update: Update, context: AppContext, screen: Screen | None) -> None:
    if screen is None:
        # Stale, replayed or forged: nothing changed; the conversation stays as it was.
        await stale(update, context)
        return
    await answer(update, context)
    await show(update, *screen)


async def on_open(update: Update, context: AppContext, pressed: SettingsOpen) -> int | None:
    """A topic: the summary, or one choice with its buttons."""
    patient = await _pressed(update, context)
    if patient is None:
        return None
    t = context.t
    screen: Screen
    match pressed.topic:
        case "menu" | "x":
            clinic = await current_clinic(context.services.database, patient.id)
            menu = view.main_menu(patient, t) if pressed.topic == "menu" else None
            screen = view.summary(patient, clinic, t), menu
        case "tz":
            default = context.services.settings.default_timezone
            zones = offered_zones(patient.timezone, default)
            screen = view.zone_question(patient, t), view.zone_menu(zones, patient.timezone, t)
        case "h":
            screen = view.hour_question(patient, t), view.hour_menu(patient, t)
        case "d":
            screen = view.heads_up_question(patient, t), view.heads_up_menu(patient, t)
        case "q":
            screen = view.quiet_question(patient, t), view.quiet_menu(patient, t)
        case "l":
            screen = view.language_question(t), view.language_menu(t)
        case "c":
            clinic = await current_clinic(context.services.database, patient.id)
            screen = view.clinic_view(clinic, t), view.clinic_menu(clinic, t)
    await _done(update, context, screen)
    if pressed.topic == "tz":
        ask_for_text(context, ZONE_STEP)
        return TYPING_ZONE
    return END


async def _change(update: Update, context: AppContext, change: SettingsChange) -> None:
    """Apply one change and show it confirmed above the refreshed summary."""
    patient = await _pressed(update, context)
    if patient is None:
        return
    services = context.services
    changed = await apply_settings(services.database, patient.id, services.clock.now(), change)
    context.who = context.who.with_patient(changed)
    t = translator(changed.language)  # a language change is answered in the new language
    clinic = await current_clinic(services.database, changed.id)
    notice = view.changed_notice(change, changed, t)
    screen = view.with_notice(notice, changed, clinic, t), view.main_menu(changed, t)
    await _done(update, context, screen)


async def on_zone(update: Update, context: AppContext, pressed: SettingsZone) -> int:
    """A time-zone button."""
    if pressed.zone not in available_timezones():
        await stale(update, context)
        return END
    await _change(update, context, SettingsChange(timezone=pressed.zone))
    return END


async def on_hour(update: Update, context: AppContext, pressed: SettingsHour) -> int:
    """A reminder-hour button."""
    await _change(update, context, SettingsChange(reminder_hour=pressed.hour))
    return END


async def on_heads_up(update: Update, context: AppContext, pressed: SettingsHeadsUp) -> int:
    """A heads-up button."""
    await _change(update, context, SettingsChange(heads_up_days=pressed.days))
    return END


async def on_quiet(update: Update, context: AppContext, pressed: SettingsQuiet) -> int:
    """A quiet-hours preset."""
    start, end = view.QUIET_PRESETS[pressed.preset] or (None, None)
    await _change(update, context, SettingsChange(quiet_start=start, quiet_end=end))
    return END


async def on_language(update: Update, context: AppContext, pressed: SettingsLanguage) -> int:
    """A language button."""
    await _change(update, context, SettingsChange(language=pressed.language))
    return END


async def on_news(update: Update, context: AppContext, pressed: SettingsNews) -> int:
    """Clinic news on or off."""
    await _change(update, context, SettingsChange(broadcasts_opt_out=pressed.value == "off"))
    return END


async def on_aftercare(update: Update, context: AppContext, pressed: SettingsAftercare) -> int:
    """Aftercare notes on or off."""
    await _change(update, context, SettingsChange(aftercare_off=pressed.value == "off"))
    return END


async def on_leave_ask(update: Update, context: AppContext, pressed: SettingsLeaveAsk) -> int:
    """Leave this clinic: ask first (only for the clinic the patient is with now)."""
    patient = await _pressed(update, context)
    if patient is None:
        return END
    clinic = await current_clinic(context.services.database, patient.id)
    screen = None
    if clinic is not None and clinic.id == pressed.clinic:
        screen = view.leave_question(clinic, context.t), view.leave_menu(clinic, context.t)
    await _done(update, context, screen)
    return END


async def on_leave(update: Update, context: AppContext, pressed: SettingsLeave) -> int:
    """Yes, leave: the clinic's guidance no longer applies."""
    patient = await _pressed(update, context)
    if patient is None:
        return END
    services, t = context.services, context.t
    left = await leave_clinic(services.database, patient.id, pressed.clinic, services.clock.now())
    screen = None
    if left is not None:
        notice = view.clinic_left(left, t)
        screen = view.with_notice(notice, patient, None, t), view.main_menu(patient, t)
    await _done(update, context, screen)
    return END


async def on_zone_text(update: Update, context: AppContext) -> int:
    """A typed city or zone name while the time-zone choice is open."""
    message = update.effective_message
    patient = context.patient
    if patient is None or message is None:
        stop_asking(context, ZONE_STEP)
        await reply(update, ask_to_start(context.t))
        return END
    zone = resolve_timezone(message.text or "")
    if zone is None:
        await reply(update, view.zone_unknown(context.t))
        return TYPING_ZONE
    stop_asking(context, ZONE_STEP)
    services, t = context.services, context.t
    changed = await apply_settings(
        services.database, patient.id, services.clock.now(), SettingsChange(timezone=zone)
    )
    clinic = await current_clinic(services.database, changed.id)
    notice = view.zone_changed(changed, t)
    await reply(update, view.with_notice(notice, changed, clinic, t), view.main_menu(changed, t))
    return END


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel while a city is awaited."""
    stop_asking(context, ZONE_STEP)
    await reply(update, view.cancelled(context.t))
    return END


async def on_timeout(update: Update, context: AppContext) -> None:
    """The city question was left open too long: stop reading text as a place."""
    stop_asking(context, ZONE_STEP)


def register(application: BotApp) -> None:
    """Register /settings and its buttons."""
    application.add_handler(
        conversation(
            application,
            "settings",
            entry_points=[
                CommandHandler("settings", on_settings),
                Button(SettingsOpen, on_open),
                Button(SettingsZone, on_zone),
                Button(SettingsHour, on_hour),
                Button(SettingsHeadsUp, on_heads_up),
                Button(SettingsQuiet, on_quiet),
                Button(SettingsLanguage, on_language),
                Button(SettingsNews, on_news),
                Button(SettingsAftercare, on_aftercare),
                Button(SettingsLeaveAsk, on_leave_ask),
                Button(SettingsLeave, on_leave),
            ],
            states={TYPING_ZONE: [TextStep(application, ZONE_STEP, on_zone_text)]},
            fallbacks=[CommandHandler("cancel", on_cancel)],
            on_timeout=on_timeout,
        )
    )
