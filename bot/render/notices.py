"""The suggested broadcast after a guidance change: what changed, why, what it means."""

from __future__ import annotations

import html

from bot.i18n import Translator
from bot.render.staff import rule_name
from storage.records import Clinic, GuidanceChange


def notice_body(
    clinic: Clinic, change: GuidanceChange, default_days: int | None, t: Translator
) -> str:
    """The notice of `change`, in the author's language."""
    old = default_days if change.old_default else change.old_days
    new = default_days if change.new_default else change.new_days
    rule = rule_name(change.after, change.then, t)
    if new is None:
        what = t.gettext("{rule}: no minimum spacing any more.").format(rule=rule)
    else:
        what = t.ngettext(
            "{rule}: now at least {days} day apart.",
            "{rule}: now at least {days} days apart.",
            new,
        ).format(rule=rule, days=new)
    if old is not None:
        what += " " + t.gettext("(Before: {days} days.)").format(days=old)
    return "\n".join(
        [
            t.gettext("<b>{clinic} updated its spacing guidance.</b>").format(
                clinic=html.escape(clinic.name)
            ),
            what,
            t.gettext("Why: {reason}").format(reason=html.escape(change.reason)),
            t.gettext("Your reminders have been updated; /next shows your dates."),
        ]
    )
