"""/guidance as staff see it: the rules with a button each, changing one, re-planning."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup

from bot.buttons import (
    AftercareClinic,
    BroadcastNotice,
    GuidanceApply,
    GuidanceDone,
    GuidanceDrop,
    GuidanceEdit,
)
from bot.drafts import GuidanceDraft, RuleValue
from bot.i18n import Translator
from bot.render.counts import plural, shown
from bot.render.keyboards import button, keyboard
from bot.render.staff import clinic_name, days_text, rule_name
from bot.usecases.guidance import GuidanceView, RuleView
from rules.guidance import MAX_DAYS, ClinicRule
from storage.records import Clinic


def rules_keyboard(view: GuidanceView, t: Translator) -> InlineKeyboardMarkup:
    """For an owner, one ✏️ button per rule (at the version shown); for all, aftercare."""
    edits = (
        [
            [
                button(
                    f"✏️ {rule_name(rule.after, rule.then, t)}",
                    GuidanceEdit(view.clinic.id, view.version, rule.after, rule.then),
                )
            ]
            for rule in view.rules
        ]
        if view.can_change
        else []
    )
    return keyboard(
        *edits, [button(t.gettext("🩹 Aftercare notes"), AftercareClinic(view.clinic.id))]
    )


def owners_only(clinic: Clinic, t: Translator) -> str:
    """A staff member (not an owner) pressed ✏️."""
    return t.gettext(
        "Only an owner of {clinic} can change its guidance. Ask an owner, or see /staff."
    ).format(clinic=clinic_name(clinic))


def change_refused_not_owner(t: Translator) -> str:
    """Apply pressed by someone who is no longer an owner."""
    return t.gettext("Only an owner can change guidance: nothing was changed.")


def changed_meanwhile(t: Translator) -> str:
    """The rule was changed by someone else since it was shown."""
    return t.gettext("The guidance changed meanwhile; here it is now.")


def value_prompt(rule: RuleView, t: Translator) -> str:
    """Asking for the rule's new value."""
    return t.gettext(
        "<b>{rule}</b>: now {days} (default: {default}).\n\nType the new minimum number "
        "of days (0 to {max}), <code>off</code> to switch the rule off, or "
        "<code>default</code> to go back to the default. /cancel stops."
    ).format(
        rule=rule_name(rule.after, rule.then, t),
        days=days_text(rule.days, t),
        default=days_text(rule.default_days, t),
        max=MAX_DAYS,
    )


def value_invalid(t: Translator) -> str:
    """A typed value that is not days, `off` or `default`."""
    return t.gettext(
        "Please type a whole number of days from 0 to {max}, <code>off</code> or "
        "<code>default</code>."
    ).format(max=MAX_DAYS)


def reason_prompt(t: Translator) -> str:
    """Asking why."""
    return t.gettext(
        "Why the change? Write a short reason: it is kept with the change and can go into "
        "a notice to your patients."
    )


def reason_invalid(most: int, t: Translator) -> str:
    """An empty or too long reason."""
    return t.gettext("Please write a reason of 1 to {max} characters.").format(max=most)


def value_text(value: RuleValue, default_days: int | None, t: Translator) -> str:
    """A rule's new value in words."""
    if value == "default":
        return t.gettext("the default ({days})").format(days=days_text(default_days, t))
    return days_text(None if value == "off" else value, t)


def confirm_text(draft: GuidanceDraft, t: Translator) -> str:
    """The summary before applying."""
    assert draft.value is not None
    assert draft.reason is not None
    text = t.ngettext(
        "Change <b>{rule}</b> from {old} to {new}?\nReason: <i>{reason}</i>\n\nThis "
        "re-plans the reminders of {count} active member.",
        "Change <b>{rule}</b> from {old} to {new}?\nReason: <i>{reason}</i>\n\nThis "
        "re-plans the reminders of {count} active members.",
        plural(draft.members),
    ).format(
        rule=rule_name(draft.after, draft.then, t),
        old=days_text(draft.old_days, t),
        new=value_text(draft.value, draft.default_days, t),
        reason=html.escape(draft.reason),
        count=shown(draft.members, t),
    )
    if not _weakens(draft):
        return text
    return (
        text
        + "\n\n"
        + t.gettext(
            "⚠️ This is below the usual guidance ({default}): members will wait less than "
            "usual. Each affected member's reminders will say that their clinic set this "
            "spacing, and keep asking them to confirm with their provider."
        ).format(default=days_text(draft.default_days, t))
    )


def _weakens(draft: GuidanceDraft) -> bool:
    value = draft.value
    if value is None or value == "default":
        return False
    return ClinicRule(
        draft.after, draft.then, None if value == "off" else value, draft.default_days
    ).weaker


def confirm_keyboard(draft: GuidanceDraft, t: Translator) -> InlineKeyboardMarkup:
    """Apply or cancel."""
    return keyboard(
        [
            button(t.gettext("✅ Apply"), GuidanceApply(draft.clinic_id, draft.version)),
            button(t.gettext("Cancel"), GuidanceDrop()),
        ]
    )


def change_out_of_date(t: Translator) -> str:
    """An Apply whose draft is gone or belongs to another version."""
    return t.gettext("This change is out of date. Start again with /guidance.")


def not_applied(t: Translator) -> str:
    """Apply after someone else changed the guidance."""
    return t.gettext("The guidance changed meanwhile: nothing was applied.")


def unchanged(t: Translator) -> str:
    """A change to the value the rule already has."""
    return t.gettext("That is already the rule: nothing was changed.")


def dropped(t: Translator) -> str:
    """Cancel pressed on the summary."""
    return t.gettext("Nothing was changed.")


def applied(version: int, draft: GuidanceDraft, members: int, t: Translator) -> str:
    """The change is in force; members are being re-planned."""
    assert draft.value is not None
    return t.ngettext(
        "✅ Guidance version {version} is in force: {rule} is now {new}.\n"
        "Re-planning the reminders of {count} member…",
        "✅ Guidance version {version} is in force: {rule} is now {new}.\n"
        "Re-planning the reminders of {count} members…",
        plural(members),
    ).format(
        version=version,
        rule=rule_name(draft.after, draft.then, t),
        new=value_text(draft.value, draft.default_days, t),
        count=shown(members, t),
    )


def replanned(replanned_count: int, moved: int, t: Translator) -> str:
    """The re-plan finished; offer a notice."""
    return t.gettext(
        "Re-planned {replanned} members; reminders moved for {moved}.\n\n"
        "Tell your patients with a broadcast?"
    ).format(replanned=shown(replanned_count, t), moved=shown(moved, t))


def notice_keyboard(clinic_id: int, version: int, t: Translator) -> InlineKeyboardMarkup:
    """Broadcast a notice of the change, or not."""
    return keyboard(
        [
            button(t.gettext("📣 Broadcast a notice"), BroadcastNotice(clinic_id, version)),
            button(t.gettext("No, thanks"), GuidanceDone()),
        ]
    )
