"""Reminder messages: what is due and why, the provider prompt, the clinic, and the buttons.

Rendered at send time from the outbox payload, in the patient's language of that moment.
Reminders that announce a date (heads-up, "you may now book", re-treatment) carry the
buttons **Booked**, **Remind me in 3 days** and **Not for me**; a reminder before a planned
procedure only informs. The buttons carry the outbox id (`ReminderBooked`, ...); the
handler checks that the row belongs to whoever presses. A member of a clinic also gets
**Ask my clinic** (`AskClinic`, no id: it always asks the presser's own clinic).
"""

from __future__ import annotations

import html
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.buttons import AskClinic, ReminderBooked, ReminderNotForMe, ReminderSnooze
from bot.callbacks import CallbackData
from bot.delivery.rendering import Rendered, RenderError
from bot.i18n import Translator, translator
from bot.render.reasons import (
    clinic_rule_sentence,
    reason_sentence,
    relevant_reasons,
    still_planned,
)
from bot.render.words import capitalised, procedure_name, provider_prompt
from bot.usecases.payloads import (
    CHAIN_KINDS,
    CatchUpNotice,
    Payload,
    ReminderContent,
    ReminderKey,
    SnoozeNotice,
    parse_key,
)
from bot.usecases.reminders import Booked, Dismissed, Snoozed
from rules import Procedure, ReminderKind, Violation
from storage.recipients import Recipient
from storage.records import Clinic, OutboxMessage


def local_today(recipient: Recipient, now: datetime) -> date:
    """The recipient's calendar date at `now`."""
    return now.astimezone(ZoneInfo(recipient.patient.timezone)).date()


def render_reminder(
    message: OutboxMessage, payload: Payload, recipient: Recipient, now: datetime
) -> Rendered:
    """An outbox reminder as the patient's message."""
    if not isinstance(payload, ReminderContent):
        raise RenderError("not a reminder payload")
    announced = _announced(message.dedupe_key, payload)
    t = translator(recipient.patient.language)
    text = _reminder_text(payload, announced, t, local_today(recipient, now), recipient.clinic)
    return Rendered(text=text, reply_markup=_keyboard(payload, message.id, t, recipient.clinic))


def render_notice(
    message: OutboxMessage, payload: Payload, recipient: Recipient, now: datetime
) -> Rendered:
    """A notice: a reminder asked again, or the catch-up summary after a long downtime."""
    t = translator(recipient.patient.language)
    if isinstance(payload, SnoozeNotice):
        content = payload.reminder
        announced = _announced(payload.key, content)
        body = _reminder_text(content, announced, t, local_today(recipient, now), recipient.clinic)
        text = t.gettext("🔔 As you asked, here it is again.") + "\n\n" + body
        return Rendered(text=text, reply_markup=_keyboard(content, message.id, t, recipient.clinic))
    if isinstance(payload, CatchUpNotice):
        return Rendered(text=_catch_up_text(payload, t))
    raise RenderError("unknown notice type")


def _announced(key: str, content: ReminderContent) -> date:
    """The date a reminder is about: E for a chain, the planned date for before_planned."""
    parsed = parse_key(key)
    return parsed.on if parsed is not None else content.local_date


def _title(content: ReminderContent, on: date, t: Translator, today: date) -> str:
    name = procedure_name(content.procedure, t)
    values = {"procedure": name, "Procedure": capitalised(name), "date": t.long_date(on)}
    kind = content.kind
    if kind is ReminderKind.HEADS_UP and on <= today:
        # Asked again, or sent late: the date it announced has come.
        kind = ReminderKind.MAY_BOOK
    if kind is ReminderKind.HEADS_UP:
        return t.gettext("⏰ <b>{Procedure} will be possible from {date}.</b>").format(**values)
    if kind is ReminderKind.MAY_BOOK:
        return t.gettext("✅ <b>You may now book {procedure}</b> (possible from {date}).").format(
            **values
        )
    if kind is ReminderKind.RETREATMENT_DUE:
        return t.gettext(
            "🔁 <b>Your next {procedure} may be due</b> (possible from {date})."
        ).format(**values)
    return t.gettext("📅 <b>Your {procedure} is planned for {date}.</b>").format(**values)


def _reminder_text(
    content: ReminderContent, on: date, t: Translator, today: date, clinic: Clinic | None
) -> str:
    lines = [_title(content, on, t, today)]
    reasons = relevant_reasons(still_planned(content.reasons, today), today)
    if reasons:
        heading = (
            t.gettext("Keep the other procedure clear:")
            if content.kind is ReminderKind.BEFORE_PLANNED
            else t.gettext("Why:")
        )
        lines += ["", heading]
        lines += [f"• {capitalised(reason_sentence(reason, t))}." for reason in reasons]
    if content.clinic_rules:
        lines += ["", t.gettext("🏥 <b>Your clinic set this spacing:</b>")]
        lines += [f"• {clinic_rule_sentence(rule, t)}." for rule in content.clinic_rules]
    lines += ["", provider_prompt(t)]
    if clinic is not None:
        lines += ["", *_clinic_lines(clinic, t)]
    return "\n".join(lines)


def _clinic_lines(clinic: Clinic, t: Translator) -> list[str]:
    lines = [f"🏥 <b>{html.escape(clinic.name)}</b>"]
    if clinic.contact:
        lines.append(t.gettext("Contact: {contact}").format(contact=html.escape(clinic.contact)))
    if clinic.booking_url and not _button_url(clinic.booking_url):
        lines.append(t.gettext("Book: {url}").format(url=html.escape(clinic.booking_url)))
    return lines


def _button_url(url: str) -> bool:
    # Telegram accepts only http(s) and tg links in a URL button.
    return url.startswith(("https://", "http://", "tg://"))


def _keyboard(
    content: ReminderContent, outbox_id: int, t: Translator, clinic: Clinic | None
) -> dict[str, Any] | None:
    """The inline keyboard in its JSON form (see `bot.delivery.rendering.Markup`)."""
    rows: list[list[dict[str, str]]] = []

    def button(text: str, data: CallbackData) -> dict[str, str]:
        return {"text": text, "callback_data": data.pack()}

    if content.kind in CHAIN_KINDS:
        rows.append(
            [
                button(t.gettext("✅ Booked"), ReminderBooked(outbox_id)),
                button(t.gettext("⏰ Remind me in 3 days"), ReminderSnooze(outbox_id)),
            ]
        )
        rows.append([button(t.gettext("🙅 Not for me"), ReminderNotForMe(outbox_id))])
    if clinic is not None and clinic.booking_url and _button_url(clinic.booking_url):
        label = t.gettext("📅 Book with {clinic}").format(clinic=clinic.name)
        rows.append([{"text": label, "url": clinic.booking_url}])
    if clinic is not None:
        rows.append([button(t.gettext("💬 Ask my clinic"), AskClinic())])
    return {"inline_keyboard": rows} if rows else None


def _catch_up_text(payload: CatchUpNotice, t: Translator) -> str:
    seen: set[str] = set()
    lines = [t.gettext("📬 <b>While I was offline, these reminders came due:</b>")]
    for key in payload.keys:
        line = capitalised(_catch_up_line(key, t))
        if line not in seen:
            seen.add(line)
            lines.append(f"• {line}")
    lines += [
        "",
        t.gettext("/next shows where you stand today."),
        "",
        provider_prompt(t),
    ]
    return "\n".join(lines)


def _catch_up_line(key: ReminderKey, t: Translator) -> str:
    name = procedure_name(key.procedure, t)
    values = {"procedure": name, "Procedure": capitalised(name), "date": t.long_date(key.on)}
    if key.kind is ReminderKind.BEFORE_PLANNED:
        return t.gettext("your planned {procedure} on {date}").format(**values)
    if key.kind is ReminderKind.RETREATMENT_DUE:
        return t.gettext("{Procedure} again: possible since {date}").format(**values)
    return t.gettext("{Procedure}: possible since {date}").format(**values)


# --- answers to the buttons -------------------------------------------------------------


def gone(t: Translator) -> str:
    """A button whose reminder is not (or no longer) the presser's."""
    return t.gettext("This reminder is no longer available.")


def snoozed(result: Snoozed, t: Translator) -> str:
    """Remind me in 3 days: when."""
    values = {"date": t.long_date(result.on)}
    if result.created:
        return t.gettext("⏰ OK, I'll remind you again on {date}.").format(**values)
    return t.gettext("⏰ Already noted: I'll remind you again on {date}.").format(**values)


def dismissed(result: Dismissed, t: Translator) -> str:
    """Not for me: what stops, and how to come back."""
    values = {"procedure": procedure_name(result.procedure, t), "date": t.long_date(result.on)}
    return t.gettext(
        "🙅 OK, no more reminders about {procedure} from {date}. If you plan it after all, "
        "log it with /log and I'll plan around it."
    ).format(**values)


def ask_booked_date(procedure: Procedure, t: Translator) -> str:
    """Booked: the question for the date."""
    return t.gettext(
        "📅 Great! On which date is your {procedure} booked? Pick it, or type it, for "
        "example “15 Dec” or “2026-12-15”. /cancel to stop."
    ).format(procedure=procedure_name(procedure, t))


def date_in_past(t: Translator) -> str:
    """A booking date before today."""
    return t.gettext(
        "That date has passed. Which date is the appointment? If you already had it, "
        "log it with /log. Or /cancel."
    )


def booked(result: Booked, t: Translator) -> str:
    """The planned entry was saved (or already was), with any rule its date breaks."""
    treatment = result.result.treatment
    values = {
        "procedure": procedure_name(treatment.procedure, t),
        "date": t.long_date(treatment.on),
    }
    lines = [
        t.gettext("✅ Saved: {procedure} planned for {date}.").format(**values)
        if not result.result.already_logged
        else t.gettext("✅ I already had {procedure} planned for {date}.").format(**values)
    ]
    for violation in result.violations:
        lines.append("⚠️ " + _violation_sentence(violation, t))
    before = [
        planned
        for planned in result.result.plan.add
        if planned.kind is ReminderKind.BEFORE_PLANNED and planned.procedure is treatment.procedure
    ]
    if before:
        lines.append(
            t.gettext("I'll remind you on {date}.").format(date=t.long_date(before[0].local_date))
        )
    lines += ["", provider_prompt(t)]
    return "\n".join(lines)


def booking_cancelled(t: Translator) -> str:
    """/cancel while the booking date was asked."""
    return t.gettext("OK, nothing was saved.")


def _violation_sentence(violation: Violation, t: Translator) -> str:
    values = {
        "procedure": procedure_name(violation.proposed.procedure, t),
        "entry": procedure_name(violation.entry.procedure, t),
        "entry_date": t.short_date(violation.entry.on),
        "days": violation.days_required,
        "apart": violation.days_apart,
    }
    return t.ngettext(
        "That is {apart} days from your {entry} on {entry_date}; the guidance asks for at "
        "least {days} day. Please check the date with your provider.",
        "That is {apart} days from your {entry} on {entry_date}; the guidance asks for at "
        "least {days} days. Please check the date with your provider.",
        violation.days_required,
    ).format(**values)
