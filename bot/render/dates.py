"""What a date picker says when a typed date cannot be taken: the same three answers everywhere."""

from __future__ import annotations

import html
from datetime import date

from bot.i18n import Translator
from bot.usecases.treatments import date_bounds


def not_a_date_text(t: Translator) -> str:
    """A typed answer that does not read as a date."""
    return t.gettext(
        "I couldn't read that as a date. Try “20.11.2026”, “yesterday” or “3 days ago”, "
        "or pick a day above."
    )


def impossible_date_text(text: str, t: Translator) -> str:
    """A date that does not exist, such as 31.02.2026 (the text is the patient's, escaped)."""
    return t.gettext(
        "{date} does not exist in the calendar. Please check the day and month."
    ).format(date=html.escape(text[:60]))


def out_of_range_text(today: date, t: Translator) -> str:
    """A date before 2000 or more than two years ahead."""
    first, last = date_bounds(today)
    return t.gettext("I can only keep dates from {first} to {last}.").format(
        first=t.long_date(first), last=t.long_date(last)
    )
