"""An inline month calendar for picking a treatment date, shared by /log and /history.

The keyboard knows nothing about flows: the caller says what a day button and a month
arrow send (`pick(day)`, `navigate(month)`), so every press carries the full date and still
works after a restart. Days no treatment can have are shown but inert.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from babel.dates import get_day_names
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Translator
from bot.usecases.treatments import EARLIEST_ACCEPTED, FURTHEST_AHEAD

_BLANK = " "
_INERT = "·"


def pack_day(day: date) -> str:
    """`20261120`: a date for callback data (8 bytes)."""
    return day.strftime("%Y%m%d")


def unpack_day(text: str) -> date | None:
    """The date of `pack_day`'s form, or None for anything else (callback data is untrusted)."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def pack_month(month: date) -> str:
    """`202611`: a month for callback data."""
    return month.strftime("%Y%m")


def unpack_month(text: str) -> date | None:
    """The first day of a `pack_month` month, or None."""
    if len(text) != 6 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:]), 1)
    except ValueError:
        return None


def month_of(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def shift_month(month: date, months: int) -> date:
    """The first day of the month `months` away from `month`."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def date_bounds(today: date) -> tuple[date, date]:
    """The first and last date a treatment can have, seen from `today`."""
    return EARLIEST_ACCEPTED, today + FURTHEST_AHEAD


def calendar_keyboard(
    month: date,
    *,
    today: date,
    t: Translator,
    pick: Callable[[date], str],
    navigate: Callable[[date], str],
    footer: Sequence[InlineKeyboardButton] = (),
) -> InlineKeyboardMarkup:
    """A month grid with ◀ ▶, weekday names, Yesterday / Today, then the caller's footer row."""
    first, last = date_bounds(today)
    month = min(max(month_of(month), month_of(first)), month_of(last))
    noop = callbacks.pack(callbacks.NOOP)
    previous, following = shift_month(month, -1), shift_month(month, 1)
    rows: list[list[InlineKeyboardButton]] = [
        [
            InlineKeyboardButton("◀", callback_data=navigate(previous))
            if previous >= month_of(first)
            else InlineKeyboardButton(_BLANK, callback_data=noop),
            InlineKeyboardButton(t.month_title(month), callback_data=noop),
            InlineKeyboardButton("▶", callback_data=navigate(following))
            if following <= month_of(last)
            else InlineKeyboardButton(_BLANK, callback_data=noop),
        ],
        [InlineKeyboardButton(name, callback_data=noop) for name in _weekday_names(t.language)],
    ]
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            if day.month != month.month:
                row.append(InlineKeyboardButton(_BLANK, callback_data=noop))
            elif first <= day <= last:
                label = f"•{day.day}" if day == today else str(day.day)
                row.append(InlineKeyboardButton(label, callback_data=pick(day)))
            else:
                row.append(InlineKeyboardButton(_INERT, callback_data=noop))
        rows.append(row)
    rows.append(
        [
            InlineKeyboardButton(
                t.gettext("Yesterday"), callback_data=pick(today - timedelta(days=1))
            ),
            InlineKeyboardButton(t.gettext("Today"), callback_data=pick(today)),
        ]
    )
    if footer:
        rows.append(list(footer))
    return InlineKeyboardMarkup(rows)


def _weekday_names(language: str) -> list[str]:
    names = get_day_names("short", locale=language)
    return [str(names[index]).capitalize() for index in range(7)]
