"""/settings as the patient sees it: the summary, each choice's buttons, and confirmations.

Buttons open a topic (`SettingsOpen`) or apply a value (`SettingsHour`, ...; see
`bot.buttons`). Values are the new setting itself (never a toggle, never a patient id), so
pressing the same button twice changes nothing the second time.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import date, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import (
    QuietPreset,
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
from bot.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, Translator
from bot.render.keyboards import button, in_rows
from bot.usecases.settings import SettingsChange
from rules.reminders import shift_out_of_quiet
from storage.records import UNSET, Clinic, Patient, PatientState

HOURS = range(24)
HEADS_UP_DAYS = range(8)
# Quiet-hour presets: start and end (local wall times), or None for "off".
QUIET_PRESETS: dict[QuietPreset, tuple[time, time] | None] = {
    "22-8": (time(22), time(8)),
    "21-9": (time(21), time(9)),
    "23-7": (time(23), time(7)),
    "off": None,
}


def _back(t: Translator) -> InlineKeyboardButton:
    return button(t.gettext("« Back"), SettingsOpen("menu"))


def _marked(text: str, current: bool) -> str:
    return f"✓ {text}" if current else text


def hour_label(hour: int) -> str:
    """`09:00`: 24-hour clock, read the same way in both languages."""
    return f"{hour:02d}:00"


def _clock(at: time) -> str:
    return at.strftime("%H:%M")


def quiet_label(start: time | None, end: time | None) -> str | None:
    """`22:00-08:00` (with an en dash), or None when there are no quiet hours."""
    if start is None or end is None or start == end:
        return None
    return f"{_clock(start)}\N{EN DASH}{_clock(end)}"


def heads_up_label(days: int, t: Translator) -> str:
    """How early the extra reminder comes, in words."""
    if days == 0:
        return t.gettext("none, only on the day")
    return t.ngettext("{count} day before", "{count} days before", days).format(count=days)


def current_quiet_preset(patient: Patient) -> QuietPreset | None:
    """The key of the preset the patient has now, if any."""
    now = (patient.quiet_start, patient.quiet_end)
    for key, preset in QUIET_PRESETS.items():
        if (preset is None and None in now) or preset == now:
            return key
    return None


def summary(patient: Patient, clinic: Clinic | None, t: Translator) -> str:
    """Every setting's current value, one line each."""
    quiet = quiet_label(patient.quiet_start, patient.quiet_end)
    lines = [
        t.gettext("⚙️ <b>Your settings</b>"),
        "",
        t.gettext("🌍 Time zone: {zone}").format(zone=html.escape(patient.timezone)),
        t.gettext("⏰ Reminders at: {time}").format(time=hour_label(patient.reminder_hour)),
        t.gettext("📅 Early reminder: {days}").format(
            days=heads_up_label(patient.heads_up_days, t)
        ),
        t.gettext("🌙 Quiet hours: {hours}").format(hours=quiet)
        if quiet
        else t.gettext("🌙 Quiet hours: off"),
        t.gettext("🗣 Language: {language}").format(language=LANGUAGE_NAMES[t.language]),
        t.gettext("📣 News from your clinic: off")
        if patient.broadcasts_opt_out
        else t.gettext("📣 News from your clinic: on"),
        t.gettext("🩹 Aftercare notes: off")
        if patient.aftercare_off
        else t.gettext("🩹 Aftercare notes: on"),
        t.gettext("🏥 Clinic: {clinic}").format(clinic=html.escape(clinic.name))
        if clinic
        else t.gettext("🏥 Clinic: none"),
    ]
    if patient.state is not PatientState.ACTIVE:
        lines += ["", t.gettext("⏸ Messages are paused: send /start to turn them on again.")]
    lines += ["", t.gettext("Tap what you want to change.")]
    return "\n".join(lines)


def main_menu(patient: Patient, t: Translator) -> InlineKeyboardMarkup:
    """One button per setting, and Done."""
    if patient.broadcasts_opt_out:
        news = button(t.gettext("🔔 Turn clinic news on"), SettingsNews("on"))
    else:
        news = button(t.gettext("🔕 Turn clinic news off"), SettingsNews("off"))
    if patient.aftercare_off:
        aftercare = button(t.gettext("🩹 Turn aftercare notes on"), SettingsAftercare("on"))
    else:
        aftercare = button(t.gettext("🩹 Turn aftercare notes off"), SettingsAftercare("off"))
    return InlineKeyboardMarkup(
        [
            [
                button(t.gettext("🌍 Time zone"), SettingsOpen("tz")),
                button(t.gettext("⏰ Reminder time"), SettingsOpen("h")),
            ],
            [
                button(t.gettext("📅 Early reminder"), SettingsOpen("d")),
                button(t.gettext("🌙 Quiet hours"), SettingsOpen("q")),
            ],
            # Both words, so someone who cannot read the current language still finds it.
            [button(t.gettext("🗣 Language / Idioma"), SettingsOpen("l")), news],
            [aftercare],
            [
                button(t.gettext("🏥 Clinic"), SettingsOpen("c")),
                button(t.gettext("✔️ Done"), SettingsOpen("x")),
            ],
        ]
    )


def with_notice(notice: str, patient: Patient, clinic: Clinic | None, t: Translator) -> str:
    """A confirmation in plain words above the refreshed summary."""
    return notice + "\n\n" + summary(patient, clinic, t)


# --- the choices -------------------------------------------------------------------------


def zone_question(patient: Patient, t: Translator) -> str:
    """Asking for a time zone: buttons or a typed city."""
    return t.gettext(
        "🌍 Your time zone is {zone}. Pick one, or type your city (for example “Madrid” or "
        "“New York”)."
    ).format(zone=html.escape(patient.timezone))


def zone_menu(zones: Iterable[str], current: str, t: Translator) -> InlineKeyboardMarkup:
    """One button per zone (the current one ticked), two to a row."""
    buttons = [button(_marked(zone, zone == current), SettingsZone(zone)) for zone in zones]
    return InlineKeyboardMarkup([*in_rows(buttons, 2), [_back(t)]])


def hour_question(patient: Patient, t: Translator) -> str:
    """Asking for the reminder hour."""
    return t.gettext("⏰ At what time of day should reminders come? Now: {time}.").format(
        time=hour_label(patient.reminder_hour)
    )


def hour_menu(patient: Patient, t: Translator) -> InlineKeyboardMarkup:
    """A grid of the 24 hours."""
    buttons = [
        button(_marked(hour_label(hour), hour == patient.reminder_hour), SettingsHour(hour))
        for hour in HOURS
    ]
    return InlineKeyboardMarkup([*in_rows(buttons, 4), [_back(t)]])


def heads_up_question(patient: Patient, t: Translator) -> str:
    """Asking how many days ahead the early reminder comes."""
    return t.gettext(
        "📅 Besides the reminder on the day, how many days before should I remind you? Now: {days}."
    ).format(days=heads_up_label(patient.heads_up_days, t))


def heads_up_menu(patient: Patient, t: Translator) -> InlineKeyboardMarkup:
    """0 to 7 days."""
    buttons = [
        button(_marked(str(days), days == patient.heads_up_days), SettingsHeadsUp(days))
        for days in HEADS_UP_DAYS
    ]
    return InlineKeyboardMarkup([*in_rows(buttons, 4), [_back(t)]])


def quiet_question(patient: Patient, t: Translator) -> str:
    """Asking for quiet hours."""
    quiet = quiet_label(patient.quiet_start, patient.quiet_end)
    now = (
        t.gettext("Now: {hours}.").format(hours=quiet) if quiet else t.gettext("You have none now.")
    )
    return (
        t.gettext(
            "🌙 During quiet hours I never write to you: a reminder that would fall inside "
            "them waits until they end."
        )
        + " "
        + now
    )


def quiet_menu(patient: Patient, t: Translator) -> InlineKeyboardMarkup:
    """The presets, and none."""
    current = current_quiet_preset(patient)
    buttons = []
    for key, preset in QUIET_PRESETS.items():
        label = (quiet_label(*preset) if preset else None) or t.gettext("No quiet hours")
        buttons.append(button(_marked(label, key == current), SettingsQuiet(key)))
    return InlineKeyboardMarkup([*in_rows(buttons, 2), [_back(t)]])


def language_question(t: Translator) -> str:
    """Asking for the language."""
    return t.gettext("🗣 Which language should I write in?")


def language_menu(t: Translator) -> InlineKeyboardMarkup:
    """One button per supported language, in its own name."""
    buttons = [
        button(_marked(LANGUAGE_NAMES[code], code == t.language), SettingsLanguage(code))
        for code in SUPPORTED_LANGUAGES
    ]
    return InlineKeyboardMarkup([buttons, [_back(t)]])


def clinic_view(clinic: Clinic | None, t: Translator) -> str:
    """The patient's clinic, or how to join one."""
    if clinic is None:
        return t.gettext(
            "🏥 You are not linked to a clinic. If your clinic uses Interval, it can give "
            "you a link to join it."
        )
    return t.gettext(
        "🏥 You are linked to <b>{clinic}</b>: its guidance applies to your dates, and it "
        "can send you news. To switch, open the link your new clinic gives you."
    ).format(clinic=html.escape(clinic.name))


def clinic_menu(clinic: Clinic | None, t: Translator) -> InlineKeyboardMarkup:
    """Leave (when linked), and back."""
    rows = []
    if clinic is not None:
        rows.append([button(t.gettext("🚪 Leave this clinic"), SettingsLeaveAsk(clinic.id))])
    rows.append([_back(t)])
    return InlineKeyboardMarkup(rows)


def leave_question(clinic: Clinic, t: Translator) -> str:
    """Confirming before leaving a clinic."""
    return t.gettext(
        "Leave <b>{clinic}</b>? Your dates will follow the standard guidance again, and "
        "you will not get its news any more."
    ).format(clinic=html.escape(clinic.name))


def leave_menu(clinic: Clinic, t: Translator) -> InlineKeyboardMarkup:
    """Stay first, so a quick second tap lands on the harmless choice."""
    return InlineKeyboardMarkup(
        [
            [button(t.gettext("No, stay"), SettingsOpen("c"))],
            [button(t.gettext("Yes, leave"), SettingsLeave(clinic.id))],
        ]
    )


# --- confirmations, in plain words --------------------------------------------------------


def changed_notice(change: SettingsChange, patient: Patient, t: Translator) -> str:
    """The confirmation of one change, for the setting it changed."""
    if change.timezone is not UNSET:
        return zone_changed(patient, t)
    if change.reminder_hour is not UNSET:
        return hour_changed(patient, t)
    if change.heads_up_days is not UNSET:
        return heads_up_changed(patient, t)
    if change.quiet_start is not UNSET or change.quiet_end is not UNSET:
        return quiet_changed(patient, t)
    if change.language is not UNSET:
        return language_changed(t)
    if change.aftercare_off is not UNSET:
        return aftercare_changed(patient, t)
    return broadcasts_changed(patient, t)


def zone_changed(patient: Patient, t: Translator) -> str:
    """After a time-zone change."""
    return t.gettext(
        "✅ Your time zone is now {zone}. Your reminders are planned again for it."
    ).format(zone=html.escape(patient.timezone))


def hour_changed(patient: Patient, t: Translator) -> str:
    """After a reminder-hour change; says so when quiet hours will hold reminders back."""
    text = t.gettext("✅ Reminders now come at {time}, your time.").format(
        time=hour_label(patient.reminder_hour)
    )
    at = time(patient.reminder_hour)
    # Any day will do: only the wall time matters for the quiet-hours check.
    _day, shifted = shift_out_of_quiet(date(2000, 1, 1), at, patient.quiet_start, patient.quiet_end)
    if shifted != at:
        text += " " + t.gettext(
            "That is inside your quiet hours, so they will wait until {time}."
        ).format(time=_clock(shifted))
    return text


def heads_up_changed(patient: Patient, t: Translator) -> str:
    """After a heads-up change."""
    days = patient.heads_up_days
    if days == 0:
        return t.gettext("✅ I will remind you on the day only.")
    return t.ngettext(
        "✅ I will also remind you {count} day before.",
        "✅ I will also remind you {count} days before.",
        days,
    ).format(count=days)


def quiet_changed(patient: Patient, t: Translator) -> str:
    """After a quiet-hours change."""
    if patient.quiet_start is None or patient.quiet_end is None:
        return t.gettext("✅ Quiet hours are off: reminders come at your reminder time.")
    return t.gettext("✅ Quiet hours are now {hours}: I will not write to you then.").format(
        hours=quiet_label(patient.quiet_start, patient.quiet_end)
    )


def language_changed(t: Translator) -> str:
    """After a language change, in the new language."""
    return t.gettext("✅ Done: from now on I write to you in this language.")


def aftercare_changed(patient: Patient, t: Translator) -> str:
    """After switching aftercare notes on or off."""
    if patient.aftercare_off:
        return t.gettext(
            "✅ Aftercare notes are off: saving a treatment no longer shows one. Ask your "
            "provider for their aftercare advice."
        )
    return t.gettext("✅ Aftercare notes are on: you get one when you save a treatment you had.")


def broadcasts_changed(patient: Patient, t: Translator) -> str:
    """After switching clinic news on or off."""
    if patient.broadcasts_opt_out:
        return t.gettext("✅ Clinic news is off. Your reminders still come.")
    return t.gettext("✅ Clinic news is on.")


def clinic_left(clinic: Clinic, t: Translator) -> str:
    """After leaving a clinic."""
    return t.gettext(
        "✅ You left {clinic}. Your dates follow the standard guidance again, and your "
        "reminders are planned again."
    ).format(clinic=html.escape(clinic.name))


def zone_unknown(t: Translator) -> str:
    """A typed place we cannot find."""
    return t.gettext(
        "I don't know that place. Type a bigger city nearby or a zone name such as "
        "“Europe/Madrid”, pick a button, or send /cancel."
    )


def cancelled(t: Translator) -> str:
    """/cancel while asked for a city."""
    return t.gettext("Stopped. Your settings are unchanged.")
