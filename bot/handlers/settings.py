"""/settings: time zone, reminder time, early reminder, quiet hours, language, clinic news
and clinic. Every change goes through `change_settings` (or leaving a clinic), which
re-plans reminders in the same transaction, and is confirmed in plain words.

The menu lives on one message that each press edits. Its buttons are entry points, so a
button pressed after a restart still works; only a typed city needs conversation state
(and a `flow` mark, so that text goes elsewhere once the patient has moved on). Button data
names a setting and its new value, never a patient: a press changes the presser's own
settings, so forged or replayed data can reach nobody else's.
"""

from __future__ import annotations

import functools
from zoneinfo import available_timezones

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot import callbacks
from bot.context import AppContext, BotApp
from bot.handlers.common import ask_to_start, current_patient, language_of, reply
from bot.handlers.flow import TextStep, ask_for_text, out_of_date, show, stop_asking
from bot.handlers.start import COMMON_ZONES
from bot.i18n import SUPPORTED_LANGUAGES, Translator, translator
from bot.parsing.timezones import resolve_timezone
from bot.render import settings as view
from bot.usecases.membership import current_clinic, leave_clinic
from bot.usecases.settings import change_settings
from storage.records import Patient

TYPING_ZONE = 0
END = ConversationHandler.END
ZONE_STEP = "settings:zone"

Screen = tuple[str, InlineKeyboardMarkup | None]


def _number(text: str, allowed: range) -> int | None:
    """`text` as one of `allowed`, or None: digits only, so "+1" or " 1" are refused."""
    if not text.isascii() or not text.isdigit() or len(text) > 2:
        return None
    value = int(text)
    return value if value in allowed else None


def _id(text: str) -> int | None:
    """A database id from button data: ASCII digits only."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _zones(patient: Patient, context: AppContext) -> list[str]:
    """The patient's zone, the configured default, then the common ones; no repeats."""
    default = context.services.settings.default_timezone
    return list(dict.fromkeys((patient.timezone, default, *COMMON_ZONES)))


async def on_settings(update: Update, context: AppContext) -> int:
    """/settings: the current values and a button per setting."""
    patient = await current_patient(update, context)
    if patient is None:
        await ask_to_start(update)
        return END
    t = language_of(update, patient)
    clinic = await current_clinic(context.services.database, patient.id)
    await reply(update, view.summary(patient, clinic, t), reply_markup=view.main_menu(patient, t))
    return END


async def on_button(update: Update, context: AppContext) -> int | None:
    """Any settings button: `st:<topic>` opens a choice, `st:<topic>:<value>` applies one."""
    query = update.callback_query
    assert query is not None
    patient = await current_patient(update, context)
    t = language_of(update, patient)
    parts = callbacks.unpack(query.data, callbacks.SETTINGS) or []
    screen: Screen | None = None
    if patient is not None and len(parts) == 1:
        screen = await _open(parts[0], patient, t, context)
    elif patient is not None:
        screen = await _apply(parts, patient, t, context)
    if screen is None:
        # Stale, replayed or forged: nothing changed; the conversation stays as it was.
        await out_of_date(update, t)
        return None
    await query.answer()
    await show(update, *screen)
    if parts == [view.ZONE]:
        ask_for_text(context, ZONE_STEP)
        return TYPING_ZONE
    return END


async def _open(topic: str, patient: Patient, t: Translator, context: AppContext) -> Screen | None:
    """The screen of one topic: the summary, or a choice with its buttons."""
    match topic:
        case view.MENU | view.CLOSE:
            clinic = await current_clinic(context.services.database, patient.id)
            menu = view.main_menu(patient, t) if topic == view.MENU else None
            return view.summary(patient, clinic, t), menu
        case view.ZONE:
            zones = _zones(patient, context)
            return view.zone_question(patient, t), view.zone_menu(zones, patient.timezone, t)
        case view.HOUR:
            return view.hour_question(patient, t), view.hour_menu(patient, t)
        case view.HEADS_UP:
            return view.heads_up_question(patient, t), view.heads_up_menu(patient, t)
        case view.QUIET:
            return view.quiet_question(patient, t), view.quiet_menu(patient, t)
        case view.LANGUAGE:
            return view.language_question(t), view.language_menu(t)
        case view.CLINIC:
            clinic = await current_clinic(context.services.database, patient.id)
            return view.clinic_view(clinic, t), view.clinic_menu(clinic, t)
    return None


async def _apply(
    parts: list[str], patient: Patient, t: Translator, context: AppContext
) -> Screen | None:
    """Apply a chosen value and confirm it; None when the value is not one we offer."""
    database, now = context.services.database, context.services.clock.now()
    change = functools.partial(change_settings, database, patient.id, now)
    match parts:
        case [view.ZONE, value] if value in available_timezones():
            patient = await change(timezone=value)
            notice = view.zone_changed(patient, t)
        case [view.HOUR, value] if (hour := _number(value, view.HOURS)) is not None:
            patient = await change(reminder_hour=hour)
            notice = view.hour_changed(patient, t)
        case [view.HEADS_UP, value] if (days := _number(value, view.HEADS_UP_DAYS)) is not None:
            patient = await change(heads_up_days=days)
            notice = view.heads_up_changed(patient, t)
        case [view.QUIET, value] if value in view.QUIET_PRESETS:
            start, end = view.QUIET_PRESETS[value] or (None, None)
            patient = await change(quiet_start=start, quiet_end=end)
            notice = view.quiet_changed(patient, t)
        case [view.LANGUAGE, value] if value in SUPPORTED_LANGUAGES:
            patient = await change(language=value)
            # The answer already speaks the new language.
            t = translator(patient.language)
            notice = view.language_changed(t)
        case [view.BROADCASTS, view.BROADCASTS_ON | view.BROADCASTS_OFF as value]:
            patient = await change(broadcasts_opt_out=value == view.BROADCASTS_OFF)
            notice = view.broadcasts_changed(patient, t)
        case [view.CLINIC, view.LEAVE_ASK, value]:
            clinic = await current_clinic(database, patient.id)
            if clinic is None or str(clinic.id) != value:
                return None
            return view.leave_question(clinic, t), view.leave_menu(clinic, t)
        case [view.CLINIC, view.LEAVE_YES, value] if (clinic_id := _id(value)) is not None:
            left = await leave_clinic(database, patient.id, clinic_id, now)
            if left is None:
                return None
            notice = view.clinic_left(left, t)
        case _:
            return None
    clinic = await current_clinic(database, patient.id)
    return view.with_notice(notice, patient, clinic, t), view.main_menu(patient, t)


async def on_zone_text(update: Update, context: AppContext) -> int:
    """A typed city or zone name while the time-zone choice is open."""
    message = update.effective_message
    assert message is not None
    patient = await current_patient(update, context)
    if patient is None:
        stop_asking(context, ZONE_STEP)
        await ask_to_start(update)
        return END
    t = language_of(update, patient)
    zone = resolve_timezone(message.text or "")
    if zone is None:
        await reply(update, view.zone_unknown(t))
        return TYPING_ZONE
    stop_asking(context, ZONE_STEP)
    services = context.services
    patient = await change_settings(
        services.database, patient.id, services.clock.now(), timezone=zone
    )
    clinic = await current_clinic(services.database, patient.id)
    await reply(
        update,
        view.with_notice(view.zone_changed(patient, t), patient, clinic, t),
        reply_markup=view.main_menu(patient, t),
    )
    return END


async def on_cancel(update: Update, context: AppContext) -> int:
    """/cancel while a city is awaited."""
    stop_asking(context, ZONE_STEP)
    patient = await current_patient(update, context)
    await reply(update, view.cancelled(language_of(update, patient)))
    return END


async def on_timeout(update: object, context: AppContext) -> None:
    """The city question was left open too long: stop reading text as a place."""
    stop_asking(context, ZONE_STEP)


def register(application: BotApp) -> None:
    """Register /settings and its buttons."""
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler("settings", on_settings),
                CallbackQueryHandler(on_button, pattern=callbacks.pattern(callbacks.SETTINGS)),
            ],
            states={
                TYPING_ZONE: [TextStep(application, ZONE_STEP, on_zone_text)],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[CommandHandler("cancel", on_cancel)],
            # Buttons from any earlier screen work at any step: each carries its own data.
            allow_reentry=True,
            conversation_timeout=application.bot_data.settings.conversation_timeout,
            name="settings",
        )
    )
