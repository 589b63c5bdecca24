"""Callback data: a short stable prefix per flow, then ids, within Telegram's 64 bytes.

Callback data comes from the client and is untrusted: every handler re-checks ownership
(ids are looked up scoped to the presser's own patient) and treats a stale or forged value
as "out of date", never as an error.
"""

from __future__ import annotations

MAX_BYTES = 64
SEPARATOR = ":"

# One prefix per flow, so that handlers' patterns never overlap. Keep them short.
ONBOARDING = "on"
TIMEZONE = "tz"
LOG = "lg"
FREE_TEXT = "ft"
HISTORY = "hi"
SETTINGS = "st"
PRIVACY = "pv"
REMINDER = "rm"
CLINIC = "cl"
BROADCAST = "bc"
GUIDANCE = "gd"
NOOP = "noop"


def pack(prefix: str, *parts: object) -> str:
    """`prefix:part:part`, refusing anything Telegram would reject."""
    data = SEPARATOR.join([prefix, *(str(part) for part in parts)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def unpack(data: str | None, prefix: str) -> list[str] | None:
    """The parts after `prefix`, or None when the data is not ours."""
    if not data:
        return None
    head, _, rest = data.partition(SEPARATOR)
    if head != prefix:
        return None
    return rest.split(SEPARATOR) if rest else []


def pattern(prefix: str, action: str | None = None) -> str:
    """The regex a CallbackQueryHandler uses to receive one prefix (or one action of it)."""
    head = prefix if action is None else f"{prefix}{SEPARATOR}{action}"
    return f"^{head}(:|$)"
