"""Small translated words and sentences shared by every screen."""

from __future__ import annotations

import html
import re

from bot.i18n import Translator
from rules.procedures import Procedure

_TAG = re.compile(r"<[^>]*>")


def procedure_name(procedure: Procedure, t: Translator) -> str:
    """The procedure's display name in the patient's language."""
    names = {
        Procedure.BOTOX: t.gettext("Botox"),
        Procedure.MICRONEEDLING: t.gettext("microneedling"),
    }
    return names[procedure]


def capitalised(text: str) -> str:
    """First letter upper-case, the rest untouched (brand names keep their case)."""
    return text[:1].upper() + text[1:]


def provider_prompt(t: Translator) -> str:
    """The reminder every date answer carries: guidance, not medical advice."""
    return t.gettext(
        "<i>This is guidance, not medical advice. Please confirm the timing with your "
        "provider before booking.</i>"
    )


def plain(html_text: str) -> str:
    """Our own HTML as plain text, for places that show no markup (a calendar, a picture)."""
    # Only our own texts come here; every interpolated value in them was escaped, so
    # removing the tags and unescaping gives back exactly what the chat would show.
    return html.unescape(_TAG.sub("", html_text))
