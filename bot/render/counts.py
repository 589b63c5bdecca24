"""Counts of patients on staff screens, shown so that they reveal no one.

A clinic of a handful of members could otherwise read "1 member treated in the last 7
days" as a person's treatment date. Every count of patients (or of their reminders and
deliveries) below `SMALLEST_SHOWN` is shown as "fewer than 5", zero included.
"""

from __future__ import annotations

from bot.i18n import Translator

SMALLEST_SHOWN = 5


def shown(count: int, t: Translator) -> str:
    """The count, or "fewer than 5"."""
    return str(count) if count >= SMALLEST_SHOWN else t.gettext("fewer than 5")


def plural(count: int) -> int:
    """The number that picks the plural form for a count shown by `shown`."""
    return max(count, SMALLEST_SHOWN)
