"""Telegram Mini App sign-in: `initData` checked exactly as Telegram documents it.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app —
secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token); the data-check string is every
field but `hash`, as `key=value`, sorted by key, joined by newlines; the hash is the hex
HMAC_SHA256 of that string with secret_key. `auth_date` must be recent, so that captured
initData cannot sign anyone in later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

MAX_AGE = timedelta(hours=24)


def data_check_string(fields: dict[str, str]) -> str:
    """Every field but `hash`, `key=value`, sorted by key, one per line."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram puts in initData for these fields (tests sign with it too)."""
    secret_key = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret_key, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def verified_user_id(
    init_data: str, bot_token: str, now: datetime, *, max_age: timedelta = MAX_AGE
) -> int | None:
    """The Telegram user id in valid, fresh initData; None for anything else."""
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None
    received = fields.get("hash", "")
    if not received or not hmac.compare_digest(received, sign_init_data(fields, bot_token)):
        return None
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), tz=UTC)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        return None
    if not timedelta(minutes=-5) <= now - signed_at <= max_age:
        return None
    return user_id
