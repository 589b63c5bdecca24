"""/next and the "what now" part of other answers: earliest dates, blocked windows, reminders."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import date

from telegram import InlineKeyboardMarkup

from bot.buttons import AskClinic, CalendarFile, TimelinePicture
from bot.i18n import Translator
from bot.render.keyboards import button, keyboard
from bot.render.reasons import reason_sentence, relevant_reasons
from bot.render.words import capitalised, procedure_name, provider_prompt
from bot.usecases.history import reminder_contents
from bot.usecases.overview import Overview, ProcedureOutlook
from bot.usecases.payloads import ReminderContent
from rules import BlockedWindow, Earliest, ReminderKind

# A long history can block many stretches; the nearest few are what a patient acts on.
MAX_WINDOWS = 4
MAX_REMINDERS = 8
# Date ranges use an en dash ("24 Nov \u2013 3 Dec"), spelt as an escape so no one takes it
# for a hyphen.
EN_DASH = "\u2013"


def earliest_sentence(earliest: Earliest, today: date, t: Translator) -> str:
    """E.g. "Microneedling: earliest Fri, 4 Dec 2026 — because of your Botox on 20 Nov, ..."."""
    name = capitalised(procedure_name(earliest.procedure, t))
    if earliest.date <= today:
        return t.gettext("{procedure}: possible from today.").format(procedure=name)
    text = t.gettext("{procedure}: earliest <b>{date}</b>").format(
        procedure=name, date=t.long_date(earliest.date)
    )
    reasons = relevant_reasons(earliest.reasons, today)
    if reasons:
        text += " — " + reason_sentence(reasons[0], t)
    return text + "."


def reminder_line(content: ReminderContent, t: Translator) -> str:
    """One upcoming reminder: its local date and what it will be about."""
    name = procedure_name(content.procedure, t)
    about = {
        ReminderKind.HEADS_UP: t.gettext("heads-up: {procedure} becomes possible soon"),
        ReminderKind.MAY_BOOK: t.gettext("{procedure} becomes possible: you may book it"),
        ReminderKind.RETREATMENT_DUE: t.gettext("{procedure} is due again"),
        ReminderKind.BEFORE_PLANNED: t.gettext("your planned {procedure} is coming up"),
    }[content.kind].format(procedure=name)
    return f"• {t.long_date(content.local_date)}: {about}"


def reminders_block(upcoming: Iterable[ReminderContent], t: Translator) -> str:
    """The reminders that will come, or a line saying none are planned."""
    contents = list(upcoming)
    if not contents:
        return t.gettext("🔔 No reminders are planned right now.")
    lines = [t.gettext("🔔 <b>Reminders to come</b>")]
    lines.extend(reminder_line(content, t) for content in contents[:MAX_REMINDERS])
    hidden = len(contents) - MAX_REMINDERS
    if hidden > 0:
        lines.append(
            t.ngettext("… and {count} more", "… and {count} more", hidden).format(count=hidden)
        )
    return "\n".join(lines)


def _span(window: BlockedWindow, t: Translator) -> str:
    if window.start == window.end:
        return t.short_date(window.start)
    return f"{t.short_date(window.start)} {EN_DASH} {t.short_date(window.end)}"


def _window_line(window: BlockedWindow, today: date, t: Translator) -> str:
    sentences: list[str] = []
    for reason in relevant_reasons(window.reasons, today):
        sentence = reason_sentence(reason, t)
        if sentence not in sentences:
            sentences.append(sentence)
    if not sentences:
        return f"• {_span(window, t)}"
    return f"• {_span(window, t)}: " + "; ".join(sentences)


def windows_after_earliest(outlook: ProcedureOutlook, today: date, t: Translator) -> str | None:
    """The blocked stretches that come after the earliest date (a planned entry's), if any."""
    later = [w for w in outlook.windows if w.start > outlook.earliest.date]
    if not later:
        return None
    lines = [t.gettext("Not on:")]
    lines.extend(_window_line(w, today, t) for w in later[:MAX_WINDOWS])
    return "\n".join(lines)


def _procedure_block(outlook: ProcedureOutlook, today: date, t: Translator) -> str:
    earliest = outlook.earliest
    name = capitalised(procedure_name(earliest.procedure, t))
    lines = [f"<b>{name}</b>"]
    if earliest.date <= today:
        lines.append(t.gettext("Earliest: from today"))
    else:
        lines.append(t.gettext("Earliest: <b>{date}</b>").format(date=t.long_date(earliest.date)))
    if outlook.windows:
        lines.append(t.gettext("Not on:"))
        lines.extend(_window_line(w, today, t) for w in outlook.windows[:MAX_WINDOWS])
        hidden = len(outlook.windows) - MAX_WINDOWS
        if hidden > 0:
            lines.append(
                t.ngettext("… and {count} more", "… and {count} more", hidden).format(count=hidden)
            )
    return "\n".join(lines)


def outlook_text(overview: Overview, t: Translator) -> str:
    """The /next answer."""
    if not overview.has_history:
        return (
            t.gettext("You have no treatments logged yet, so every date is open.")
            + "\n\n"
            + t.gettext("Log a treatment with /log, or just write “had botox yesterday”.")
            + "\n\n"
            + provider_prompt(t)
        )
    parts = [t.gettext("📅 <b>What's next</b>")]
    parts.extend(_procedure_block(outlook, overview.today, t) for outlook in overview.outlooks)
    parts.append(reminders_block(reminder_contents(overview.upcoming), t))
    if overview.clinic_name is not None:
        parts.append(
            t.gettext("🏥 Your clinic: <b>{clinic}</b>, guidance version {version}").format(
                clinic=html.escape(overview.clinic_name), version=overview.guidance_version
            )
        )
    parts.append(provider_prompt(t))
    return "\n\n".join(parts)


def outlook_keyboard(overview: Overview, t: Translator) -> InlineKeyboardMarkup | None:
    """Under /next: the dates as a calendar file and as a picture (once there are any), and
    a question to the patient's clinic (when they have one)."""
    ask = [button(t.gettext("💬 Ask my clinic"), AskClinic())] if overview.clinic_name else []
    if not overview.has_history:
        return keyboard(ask) if ask else None
    return keyboard(
        [button(t.gettext("📅 Add to my calendar"), CalendarFile())],
        [button(t.gettext("📈 My timeline"), TimelinePicture())],
        ask,
    )
