"""/start as a new or returning patient sees it: welcome, consent, time zone, all set."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.buttons import Consent, ZoneChoice
from bot.i18n import Translator
from bot.render.keyboards import button, in_rows, keyboard
from bot.render.words import provider_prompt

# Offered as buttons after the configured default zone; anything else can be typed.
COMMON_ZONES = (
    "Europe/London",
    "Europe/Madrid",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Mexico_City",
    "Australia/Sydney",
)


def offered_zones(*first: str) -> list[str]:
    """`first` (the patient's zone, the default), then the common ones; no repeats."""
    return list(dict.fromkeys((*first, *COMMON_ZONES)))


def welcome(t: Translator) -> str:
    """What Interval does, that it gives guidance, and the consent question."""
    return t.gettext(
        "👋 <b>Welcome to Interval.</b>\n\n"
        "Tell me when you had, or plan, Botox or microneedling. I work out the earliest "
        "appropriate date for the other one (microneedling at least 7 days before Botox, "
        "or at least 14 days after it) and remind you on the right day.\n\n"
        "I give guidance, not medical advice: always confirm dates with your provider.\n\n"
        "To do this I need to store the treatment dates you tell me. You can download or "
        "delete them at any time with /export and /delete. Do you agree?"
    )


def consent_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """I agree / No, thanks."""
    return keyboard(
        [
            button(t.gettext("✅ I agree"), Consent("yes")),
            button(t.gettext("No, thanks"), Consent("no")),
        ]
    )


def declined(t: Translator) -> str:
    """After "No, thanks"."""
    return t.gettext("No problem: nothing was stored. If you change your mind, send /start again.")


def zone_question(t: Translator) -> str:
    """Asked once consent is given."""
    return t.gettext(
        "Thank you. Which time zone are you in? Reminders arrive in the morning, your "
        "time. Pick one, or type your city (for example “Madrid” or “New York”)."
    )


def zone_keyboard(default_zone: str) -> InlineKeyboardMarkup:
    """Buttons for the configured default zone and a few common ones."""
    return keyboard(
        *in_rows([button(zone, ZoneChoice(zone)) for zone in offered_zones(default_zone)], 2)
    )


def zone_unknown(t: Translator) -> str:
    """A typed place we cannot find."""
    return t.gettext(
        "I don't know that place. Type a bigger city nearby, or a zone name such as "
        "“Europe/Madrid”, or pick a button."
    )


def all_set(zone: str, t: Translator) -> str:
    """Onboarding finished."""
    return (
        t.gettext("All set: your time zone is {zone}.").format(zone=zone)
        + "\n\n"
        + t.gettext("Log a treatment with /log, or just write “had botox yesterday”.")
        + "\n\n"
        + provider_prompt(t)
    )


def welcome_back(t: Translator, *, resumed: bool) -> str:
    """/start from a patient who already consented (resumed: after /stop or a block)."""
    if resumed:
        head = t.gettext("▶️ Welcome back: messages are on again and your reminders are planned.")
    else:
        head = t.gettext("👋 Welcome back.")
    return (
        head
        + "\n\n"
        + t.gettext("Log a treatment with /log, or just write “had botox yesterday”.")
        + "\n"
        + t.gettext("/next shows when each procedure is possible.")
    )


def start_first(t: Translator) -> str:
    """A time zone answered by someone who has not consented."""
    return t.gettext("Please send /start first.")


def link_not_valid(t: Translator) -> str:
    """A deep link whose flow is not available."""
    return t.gettext("That link is not valid any more.")


def stopped(t: Translator) -> str:
    """/cancel inside onboarding."""
    return t.gettext("Stopped. Send /start whenever you like.")
