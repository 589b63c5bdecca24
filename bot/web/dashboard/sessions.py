"""Signed session cookies: who is signed in, their CSRF token, and when they were last seen.

The cookie is `base64(json).base64(hmac)` with the dashboard key (DASHBOARD_SECRET, or a
key derived from the bot token). Nothing secret is in it, and nothing in it is trusted
unless the signature matches (`hmac.compare_digest`). A session ends after
`IDLE_TIMEOUT` without a request, by the process's clock (a fake one in tests); every
request re-checks in the database that the user is still staff (bot.usecases.dashboard).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

COOKIE = "interval_dashboard"
IDLE_TIMEOUT = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in staff member: Telegram user id, CSRF token, language, last request."""

    user_id: int
    csrf: str
    language: str | None
    seen: datetime

    def touched(self, now: datetime) -> Session:
        """The same session, seen now."""
        return replace(self, seen=now)


def new_session(user_id: int, language: str | None, now: datetime) -> Session:
    """A fresh session with its own CSRF token."""
    return Session(user_id, secrets.token_urlsafe(24), language, now)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Signs sessions into cookie values and reads them back."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def encode(self, session: Session) -> str:
        """The cookie value."""
        document = {
            "u": session.user_id,
            "c": session.csrf,
            "l": session.language,
            "s": int(session.seen.timestamp()),
        }
        body = _b64(json.dumps(document, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def decode(self, value: str | None, now: datetime) -> Session | None:
        """The session in a cookie value; None if absent, forged, malformed or idle too long."""
        if not value or value.count(".") != 1:
            return None
        body, signature = value.split(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            document = json.loads(_unb64(body))
            seen = datetime.fromtimestamp(int(document["s"]), tz=now.tzinfo)
            session = Session(int(document["u"]), str(document["c"]), document.get("l"), seen)
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if now - session.seen > IDLE_TIMEOUT:
            return None
        return session
