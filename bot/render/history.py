"""/history's keyboards and its own short answers (the texts of entries are in `treatments`)."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.buttons import (
    HistoryChange,
    HistoryDelete,
    HistoryDeleteAsk,
    HistoryEntry,
    HistoryForce,
    HistoryPage,
)
from bot.i18n import Translator
from bot.render.keyboards import button, inert, keyboard
from bot.render.treatments import entry_button_text
from bot.usecases.history import HistoryPage as Page
from storage.records import Treatment


def page_keyboard(page: Page, t: Translator) -> InlineKeyboardMarkup | None:
    """One button per entry, then ◀ page ▶ when there is more than one page."""
    rows = [
        [button(entry_button_text(entry, t), HistoryEntry(entry.id, page.page))]
        for entry in page.entries
    ]
    if page.pages > 1:
        rows.append(
            [
                button("◀", HistoryPage(page.page - 1)) if page.page > 0 else inert(),
                inert(f"{page.page + 1}/{page.pages}"),
                button("▶", HistoryPage(page.page + 1)) if page.page + 1 < page.pages else inert(),
            ]
        )
    return keyboard(*rows) if rows else None


def back_to_list(page: int, t: Translator) -> InlineKeyboardMarkup:
    """After a change: back to the page the entry was on."""
    return keyboard([button(t.gettext("◀ Back to history"), HistoryPage(page))])


def entry_keyboard(treatment: Treatment, page: int, t: Translator) -> InlineKeyboardMarkup:
    """What can be done with one entry."""
    return keyboard(
        [
            button(t.gettext("📅 Change date"), HistoryChange(treatment.id, page)),
            button(t.gettext("🗑 Delete"), HistoryDeleteAsk(treatment.id, page)),
        ],
        [button(t.gettext("◀ Back"), HistoryPage(page))],
    )


def calendar_footer(entry: int, page: int, t: Translator) -> list[InlineKeyboardButton]:
    """Under the change-date calendar: back to the entry."""
    return [button(t.gettext("◀ Back"), HistoryEntry(entry, page))]


def conflicts_keyboard(entry: int, page: int, on: date, t: Translator) -> InlineKeyboardMarkup:
    """A new date that breaks a rule: save anyway, or back to the entry."""
    return keyboard(
        [
            button(t.gettext("⚠️ Save anyway"), HistoryForce(entry, page, on)),
            button(t.gettext("Cancel"), HistoryEntry(entry, page)),
        ]
    )


def delete_keyboard(treatment: Treatment, page: int, t: Translator) -> InlineKeyboardMarkup:
    """Confirm the delete, or keep the entry."""
    return keyboard(
        [
            button(t.gettext("🗑 Yes, delete"), HistoryDelete(treatment.id, page)),
            button(t.gettext("Keep"), HistoryEntry(treatment.id, page)),
        ]
    )


def entry_gone(t: Translator) -> str:
    """Added to "out of date" for an entry that is not (or no longer) in the history."""
    return t.gettext("That entry is no longer in your history; /history shows what is there now.")


def already_on_that_date(on: date, t: Translator) -> str:
    """A new date that already holds the same procedure."""
    return t.gettext(
        "You already have this procedure on {date} in your history, so nothing was changed."
    ).format(date=t.long_date(on))


def timed_out_text(t: Translator) -> str:
    """/history left waiting for an answer for the conversation timeout."""
    return t.gettext("⌛ I stopped waiting, so nothing was changed.")
