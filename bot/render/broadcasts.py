"""A clinic broadcast as patients read it: the staff's HTML plus a footer in their language.

The outbox payload keeps the staff's HTML body, the clinic's name and the author's language.
The message is composed at send time: a recipient who reads the author's language gets the
previewed text byte for byte (`compose` is deterministic), anyone else the same body with
the footer translated.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from bot.delivery.rendering import NotForRecipientError, Rendered, RenderError
from bot.i18n import SUPPORTED_LANGUAGES, Translator, normalise_language, translator
from bot.render.words import provider_prompt
from bot.usecases.payloads import BroadcastMessage, Payload
from storage.recipients import Recipient
from storage.records import OutboxMessage

# Telegram's limit for a message's visible text, in UTF-16 code units.
MAX_MESSAGE_LENGTH = 4096

_TAG = re.compile(r"<[^>]*>")


def visible_length(markup: str) -> int:
    """How long Telegram counts an HTML message: tags dropped, entities decoded, UTF-16 units."""
    text = html.unescape(_TAG.sub("", markup))
    return len(text.encode("utf-16-le")) // 2


def footer(clinic_name: str, t: Translator) -> str:
    """Who sent the broadcast, the provider prompt, and how to stop clinic messages."""
    return "\n".join(
        [
            "—",
            t.gettext("Sent by <b>{clinic}</b> via Interval.").format(
                clinic=html.escape(clinic_name)
            ),
            provider_prompt(t),
            t.gettext("You can turn off clinic messages in /settings."),
        ]
    )


def compose(body: str, clinic_name: str, t: Translator) -> str:
    """The whole message: the staff's HTML body, then the footer."""
    return f"{body.strip()}\n\n{footer(clinic_name, t)}"


def longest_length(body: str, clinic_name: str) -> int:
    """The longest the message gets in any language we deliver (its footer is translated)."""
    return max(
        visible_length(compose(body, clinic_name, translator(language)))
        for language in SUPPORTED_LANGUAGES
    )


def render_broadcast(broadcast: BroadcastMessage, language: str | None) -> str:
    """The HTML to send to a recipient who reads `language`."""
    return compose(broadcast.body, broadcast.clinic, translator(normalise_language(language)))


def render_broadcast_message(
    message: OutboxMessage, payload: Payload, recipient: Recipient, now: datetime
) -> Rendered:
    """The dispatcher's renderer for broadcast rows (see `bot.delivery.rendering`).

    A member who left the clinic or turned clinic messages off after the broadcast was
    queued is not written to: the row fails with that reason.
    """
    if not isinstance(payload, BroadcastMessage):
        raise RenderError("not a broadcast payload")
    clinic = recipient.clinic
    if clinic is None or clinic.id != payload.clinic_id:
        raise NotForRecipientError("the patient is no longer a member of the clinic")
    if recipient.patient.broadcasts_opt_out:
        raise NotForRecipientError("the patient turned clinic messages off")
    return Rendered(text=render_broadcast(payload, recipient.patient.language))
