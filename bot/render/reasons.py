"""One sentence per reason: why a procedure must wait, or be done by a date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from bot.i18n import Translator
from bot.render.words import capitalised, procedure_name
from rules.guidance import ClinicRule
from rules.spacing import Direction, Reason


def relevant_reasons(reasons: Iterable[Reason], today: date) -> list[Reason]:
    """Reasons worth telling: a "do it before" reason only matters for a planned entry."""
    return [r for r in reasons if r.direction is Direction.AFTER or r.entry.on > today]


def still_planned(reasons: Iterable[Reason], today: date) -> list[Reason]:
    """Stored reasons as of `today`: an entry planned when they were worked out may be done
    by now (a reminder planned before the Botox and sent after it says "your Botox")."""
    return [
        replace(r, entry_planned=False) if r.entry_planned and r.entry.on <= today else r
        for r in reasons
    ]


def reason_sentence(reason: Reason, t: Translator) -> str:
    """E.g. "because of your Botox on 20 Nov, microneedling should wait until 4 Dec: ...".

    An entry still planned on the day the reason was worked out (`Reason.entry_planned`) is
    "your planned Botox"; a "done by" reason is only ever told for a planned one.
    """
    values = {
        "entry": procedure_name(reason.entry.procedure, t),
        "entry_date": t.short_date(reason.entry.on),
        "procedure": procedure_name(reason.procedure, t),
        "boundary": t.short_date(reason.boundary),
        "days": reason.rule.min_days,
    }
    if reason.direction is Direction.AFTER and reason.entry_planned:
        return t.ngettext(
            "because of your planned {entry} on {entry_date}, {procedure} should wait until "
            "{boundary}: at least {days} day after {entry}",
            "because of your planned {entry} on {entry_date}, {procedure} should wait until "
            "{boundary}: at least {days} days after {entry}",
            reason.rule.min_days,
        ).format(**values)
    if reason.direction is Direction.AFTER:
        return t.ngettext(
            "because of your {entry} on {entry_date}, {procedure} should wait until "
            "{boundary}: at least {days} day after {entry}",
            "because of your {entry} on {entry_date}, {procedure} should wait until "
            "{boundary}: at least {days} days after {entry}",
            reason.rule.min_days,
        ).format(**values)
    return t.ngettext(
        "because of your planned {entry} on {entry_date}, {procedure} should be done by "
        "{boundary}: at least {days} day before {entry}",
        "because of your planned {entry} on {entry_date}, {procedure} should be done by "
        "{boundary}: at least {days} days before {entry}",
        reason.rule.min_days,
    ).format(**values)


def clinic_rule_sentence(rule: ClinicRule, t: Translator) -> str:
    """E.g. "Microneedling after Botox: no minimum wait (usual guidance: at least 14 days)"."""
    values = {
        "Then": capitalised(procedure_name(rule.then, t)),
        "after": procedure_name(rule.after, t),
        "days": rule.min_days,
        "usual": rule.default_days,
    }
    if rule.min_days is None:
        head = t.gettext("{Then} after {after}: no minimum wait").format(**values)
    else:
        head = t.ngettext(
            "{Then} after {after}: at least {days} day",
            "{Then} after {after}: at least {days} days",
            rule.min_days,
        ).format(**values)
    if rule.default_days is None:
        return head + " " + t.gettext("(not part of the usual guidance)")
    return (
        head
        + " "
        + t.ngettext(
            "(usual guidance: at least {usual} day)",
            "(usual guidance: at least {usual} days)",
            rule.default_days,
        ).format(**values)
    )
