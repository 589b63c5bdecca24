"""Texts for logging and editing treatments: entries, conflicts, confirmations, history pages."""

from __future__ import annotations

from datetime import date

from bot.i18n import Translator
from bot.render.outlook import earliest_sentence, reminders_block, windows_after_earliest
from bot.render.words import capitalised, procedure_name, provider_prompt
from bot.usecases.history import HistoryPage, Move, Review, Saved, reminder_contents
from rules import Direction, Procedure, Violation
from storage.records import Treatment


def entry_title(procedure: Procedure, on: date, t: Translator) -> str:
    """E.g. "Botox on Fri, 20 Nov 2026"."""
    return t.gettext("{procedure} on {date}").format(
        procedure=capitalised(procedure_name(procedure, t)), date=t.long_date(on)
    )


def entry_label(procedure: Procedure, on: date, today: date, t: Translator) -> str:
    """E.g. "Botox on Fri, 20 Nov 2026 (done)", or "(planned)" for a date after today."""
    title = entry_title(procedure, on, t)
    if on > today:
        return t.gettext("{entry} (planned)").format(entry=title)
    return t.gettext("{entry} (done)").format(entry=title)


def violation_sentence(violation: Violation, t: Translator) -> str:
    """One broken rule in plain words: how far apart the two are, and how far they should be."""
    values = {
        "proposed": capitalised(procedure_name(violation.proposed.procedure, t)),
        "on": t.short_date(violation.proposed.on),
        "entry": procedure_name(violation.entry.procedure, t),
        "entry_date": t.short_date(violation.entry.on),
        "apart": violation.days_apart,
        "days": violation.days_required,
    }
    if violation.days_apart == 0:
        where = t.gettext(
            "{proposed} on {on} would be on the same day as your {entry} on {entry_date}."
        ).format(**values)
    elif violation.direction is Direction.AFTER:
        where = t.ngettext(
            "{proposed} on {on} would be only {apart} day after your {entry} on {entry_date}.",
            "{proposed} on {on} would be only {apart} days after your {entry} on {entry_date}.",
            violation.days_apart,
        ).format(**values)
    else:
        where = t.ngettext(
            "{proposed} on {on} would be only {apart} day before your {entry} on {entry_date}.",
            "{proposed} on {on} would be only {apart} days before your {entry} on {entry_date}.",
            violation.days_apart,
        ).format(**values)
    if violation.direction is Direction.AFTER:
        wanted = t.ngettext(
            "The guidance asks for at least {days} day after {entry}.",
            "The guidance asks for at least {days} days after {entry}.",
            violation.days_required,
        ).format(**values)
    else:
        wanted = t.ngettext(
            "The guidance asks for it at least {days} day before {entry}.",
            "The guidance asks for it at least {days} days before {entry}.",
            violation.days_required,
        ).format(**values)
    return f"{where} {wanted}"


def _conflicts_block(violations: tuple[Violation, ...], t: Translator) -> str:
    lines = [t.gettext("⚠️ This goes against the spacing guidance:")]
    lines.extend("• " + violation_sentence(v, t) for v in violations)
    return "\n".join(lines)


def _review_body(review: Review, t: Translator) -> str:
    if review.duplicate:
        return t.gettext("You have already logged this; saving it again changes nothing.")
    if review.violations:
        return (
            _conflicts_block(review.violations, t)
            + "\n\n"
            + t.gettext("Save anyway?")
            + "\n\n"
            + provider_prompt(t)
        )
    return t.gettext("Save it?")


def confirm_text(review: Review, t: Translator) -> str:
    """The /log confirm screen: the entry, any conflicts, and the question."""
    label = entry_label(review.procedure, review.on, review.today, t)
    return f"<b>{label}</b>\n\n{_review_body(review, t)}"


def understood_text(review: Review, t: Translator) -> str:
    """The free-text confirm screen: what was understood, any conflicts, the question."""
    label = entry_label(review.procedure, review.on, review.today, t)
    return t.gettext("I understood: <b>{entry}</b>.").format(entry=label) + (
        "\n\n" + _review_body(review, t)
    )


def saved_text(saved: Saved, t: Translator) -> str:
    """After saving: the entry, the other procedure's earliest date and why, the reminders."""
    treatment = saved.result.treatment
    today = saved.outlook.today
    label = entry_label(treatment.procedure, treatment.on, today, t)
    if saved.result.already_logged:
        return t.gettext("☑️ Already saved: <b>{entry}</b>. Nothing changed.").format(entry=label)
    parts = [t.gettext("✅ Saved: <b>{entry}</b>.").format(entry=label)]
    for outlook in saved.outlook.outlooks:
        if outlook.earliest.procedure is treatment.procedure:
            continue
        block = earliest_sentence(outlook.earliest, today, t)
        later = windows_after_earliest(outlook, today, t)
        parts.append(block if later is None else block + "\n" + later)
    parts.append(reminders_block(reminder_contents(saved.outlook.upcoming), t))
    parts.append(provider_prompt(t))
    return "\n\n".join(parts)


def date_prompt(procedure: Procedure, t: Translator) -> str:
    """Ask for the date of a new entry."""
    return t.gettext(
        "<b>{procedure}</b>: when? Pick a day, or type a date such as “20.11.2026”, "
        "“yesterday” or “next friday”. A date in the future is saved as planned."
    ).format(procedure=capitalised(procedure_name(procedure, t)))


def history_text(page: HistoryPage, t: Translator) -> str:
    """One page of /history."""
    if page.total == 0:
        return (
            t.gettext("You have no treatments logged yet.")
            + "\n"
            + t.gettext("Log a treatment with /log, or just write “had botox yesterday”.")
        )
    heading = t.gettext("🗂 <b>Your treatments</b> ({page} of {pages})").format(
        page=page.page + 1, pages=page.pages
    )
    lines = ["• " + entry_label(entry.procedure, entry.on, page.today, t) for entry in page.entries]
    return (
        heading
        + "\n\n"
        + "\n".join(lines)
        + "\n\n"
        + t.gettext("Tap one to change its date or delete it.")
    )


def entry_button_text(treatment: Treatment, t: Translator) -> str:
    """The button for one entry on a history page."""
    return f"{capitalised(procedure_name(treatment.procedure, t))} · {t.long_date(treatment.on)}"


def entry_text(treatment: Treatment, today: date, t: Translator) -> str:
    """One entry, before choosing what to do with it."""
    label = entry_label(treatment.procedure, treatment.on, today, t)
    return f"<b>{label}</b>\n\n" + t.gettext("What would you like to do?")


def new_date_prompt(treatment: Treatment, t: Translator) -> str:
    """Ask for a new date for an entry."""
    return t.gettext(
        "New date for <b>{entry}</b>? Pick a day, or type it (for example “20.11.2026” "
        "or “3 days ago”)."
    ).format(entry=entry_title(treatment.procedure, treatment.on, t))


def move_conflicts_text(move: Move, on: date, t: Translator) -> str:
    """A new date that breaks the rules: explain, and ask whether to move it anyway."""
    treatment = move.treatment
    heading = t.gettext("Move <b>{entry}</b> to {date}?").format(
        entry=entry_title(treatment.procedure, treatment.on, t), date=t.long_date(on)
    )
    return (
        heading
        + "\n\n"
        + _conflicts_block(move.violations, t)
        + "\n\n"
        + t.gettext("Save anyway?")
        + "\n\n"
        + provider_prompt(t)
    )


def moved_text(move: Move, t: Translator) -> str:
    """A date change that was saved."""
    treatment = move.treatment
    label = entry_label(treatment.procedure, treatment.on, move.today, t)
    return (
        t.gettext("✅ Moved: <b>{entry}</b>.").format(entry=label)
        + " "
        + t.gettext("Your reminders are updated.")
        + "\n\n"
        + provider_prompt(t)
    )


def delete_question(treatment: Treatment, t: Translator) -> str:
    """Ask before deleting an entry."""
    return t.gettext("Delete <b>{entry}</b>?").format(
        entry=entry_title(treatment.procedure, treatment.on, t)
    )


def deleted_text(treatment: Treatment, t: Translator) -> str:
    """An entry that was deleted."""
    return (
        t.gettext("🗑 Deleted: <b>{entry}</b>.").format(
            entry=entry_title(treatment.procedure, treatment.on, t)
        )
        + " "
        + t.gettext("Your reminders are updated.")
    )
