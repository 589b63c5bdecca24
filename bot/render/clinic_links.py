"""Clinic links as patients and new staff see them: joined, switch?, invites."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup

from bot.buttons import ClinicStay, ClinicSwitch
from bot.i18n import Translator
from bot.render.keyboards import button, keyboard
from storage.records import Clinic


def _bold(clinic: Clinic) -> str:
    return f"<b>{html.escape(clinic.name)}</b>"


def clinic_details(clinic: Clinic, t: Translator) -> list[str]:
    """The clinic's contact and booking link, when it has them."""
    lines = []
    if clinic.contact:
        lines.append(t.gettext("Contact: {contact}").format(contact=html.escape(clinic.contact)))
    if clinic.booking_url:
        lines.append(t.gettext("Book: {url}").format(url=html.escape(clinic.booking_url)))
    return lines


def link_not_valid(t: Translator) -> str:
    """An unknown, rotated or malformed join link."""
    return t.gettext("That link is not valid any more. Please ask your clinic for a new one.")


def joined(clinic: Clinic, t: Translator) -> str:
    """Linked to a clinic."""
    lines = [
        t.gettext(
            "🏥 You are now linked to {clinic}. Your dates and reminders follow its guidance."
        ).format(clinic=_bold(clinic)),
        *clinic_details(clinic, t),
        t.gettext("You can leave the clinic, or turn off its messages, in /settings."),
    ]
    return "\n".join(lines)


def already_member(clinic: Clinic, t: Translator) -> str:
    """A join link of the clinic the patient is with."""
    return t.gettext("You are already linked to {clinic}.").format(clinic=_bold(clinic))


def switch_question(current: Clinic | None, clinic: Clinic, t: Translator) -> str:
    """A join link of another clinic than the patient's."""
    return t.gettext(
        "You are linked to <b>{current}</b>. Switch to <b>{clinic}</b>? You can be "
        "with one clinic at a time; your reminders will follow the new clinic's guidance."
    ).format(current=html.escape(current.name) if current else "?", clinic=html.escape(clinic.name))


def switch_keyboard(
    current: Clinic | None, clinic: Clinic, code: str, t: Translator
) -> InlineKeyboardMarkup:
    """Switch (carrying the link's code, never a clinic id) or stay."""
    return keyboard(
        [
            button(
                t.gettext("Switch to {clinic}").format(clinic=clinic.name[:40]), ClinicSwitch(code)
            )
        ],
        [
            button(
                t.gettext("Stay with {clinic}").format(
                    clinic=current.name[:40] if current else "?"
                ),
                ClinicStay(),
            )
        ],
    )


def stayed(t: Translator) -> str:
    """After "Stay"."""
    return t.gettext("Fine: nothing changed.")


def now_staff(clinic: Clinic, t: Translator, *, already: bool) -> str:
    """A staff invite accepted (or opened again by its own user)."""
    head = (
        t.gettext("You are already staff of {clinic}.")
        if already
        else t.gettext("✅ You are now staff of {clinic}.")
    ).format(clinic=_bold(clinic))
    return (
        head
        + "\n\n"
        + t.gettext(
            "/broadcast — write to your patients\n"
            "/guidance — your spacing rules (owners change them)\n"
            "/stats — your numbers\n"
            "/staff — your team, invites and the join link (owners)"
        )
    )


def invite_refused(kind: str, t: Translator) -> str:
    """A staff invite that cannot be used: used, expired, withdrawn, or not valid."""
    if kind == "revoked":
        return t.gettext(
            "This staff invite is no longer valid: the clinic withdrew it. Please ask for a "
            "new one."
        )
    if kind == "used":
        return t.gettext("This staff invite has already been used. Please ask for a new one.")
    if kind == "expired":
        return t.gettext(
            "This staff invite has expired (invites last 7 days). Please ask for a new one."
        )
    return t.gettext("This staff invite is not valid. Please check the link or ask for a new one.")
