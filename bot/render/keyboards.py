"""Building inline keyboards from typed callback data: the one place buttons are made."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import Noop
from bot.callbacks import CallbackData

_BLANK = " "

# A row of buttons, as a flow hands it to a screen (a date picker's footer).
Row = Sequence[InlineKeyboardButton]


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """An inline button carrying typed callback data (packed here, checked for 64 bytes)."""
    return InlineKeyboardButton(text, callback_data=data.pack())


def link(text: str, url: str) -> InlineKeyboardButton:
    """A button that opens a URL (a deep link, a booking page)."""
    return InlineKeyboardButton(text, url=url)


def inert(text: str = _BLANK) -> InlineKeyboardButton:
    """A button that does nothing when pressed (a heading, a blank)."""
    return button(text, Noop())


def keyboard(*rows: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    """An inline keyboard of the given rows (empty rows left out)."""
    return InlineKeyboardMarkup([list(row) for row in rows if row])


def in_rows(
    buttons: Sequence[InlineKeyboardButton], width: int
) -> list[list[InlineKeyboardButton]]:
    """Buttons laid out `width` to a row."""
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]
