"""An inline month calendar for picking a date, shared by every date picker.

The keyboard knows nothing about flows: the caller says what a day button and a month
arrow carry (`pick(day)`, `navigate(month)`), so every press carries the full date and still
works after a restart. Days no treatment can have are shown but inert.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from babel.dates import get_day_names
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CallbackData, Month
from bot.i18n import Translator
from bot.render.keyboards import button, inert
from bot.usecases.treatments import date_bounds

_INERT = "·"


def calendar_keyboard(
    month: Month,
    *,
    today: date,
    t: Translator,
    pick: Callable[[date], CallbackData],
    navigate: Callable[[Month], CallbackData],
    footer: Sequence[InlineKeyboardButton] = (),
) -> InlineKeyboardMarkup:
    """A month grid with ◀ ▶, weekday names, Yesterday / Today, then the caller's footer row."""
    first, last = date_bounds(today)
    lowest, highest = Month.of(first), Month.of(last)
    month = min(max(month, lowest, key=_index), highest, key=_index)
    previous, following = month.shifted(-1), month.shifted(1)
    rows: list[list[InlineKeyboardButton]] = [
        [
            button("◀", navigate(previous)) if _index(previous) >= _index(lowest) else inert(),
            inert(t.month_title(month.first)),
            button("▶", navigate(following)) if _index(following) <= _index(highest) else inert(),
        ],
        [inert(name) for name in _weekday_names(t.language)],
    ]
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            if day.month != month.month:
                row.append(inert())
            elif first <= day <= last:
                label = f"•{day.day}" if day == today else str(day.day)
                row.append(button(label, pick(day)))
            else:
                row.append(inert(_INERT))
        rows.append(row)
    rows.append(
        [
            button(t.gettext("Yesterday"), pick(today - timedelta(days=1))),
            button(t.gettext("Today"), pick(today)),
        ]
    )
    if footer:
        rows.append(list(footer))
    return InlineKeyboardMarkup(rows)


def _index(month: Month) -> int:
    return month.year * 12 + month.month


def _weekday_names(language: str) -> list[str]:
    names = get_day_names("short", locale=language)
    return [str(names[index]).capitalize() for index in range(7)]
