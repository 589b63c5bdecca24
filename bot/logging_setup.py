"""Process logging: text or JSON lines, with secrets redacted and patients pseudonymous.

What a log line may hold: our own events, with patients named by `pseudonym()` and no names,
texts or treatment dates. The libraries log whole updates and requests at DEBUG (and
SQLAlchemy its parameters at INFO), so they are held at a floor unless the operator asks for
DEBUG *and* sets LOG_UNSAFE_PAYLOADS=true, knowing the log will then hold personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)

# Loggers of our own code, which log at LOG_LEVEL.
OWN_LOGGERS = ("bot", "storage", "rules", "__main__")

# The least level each library logs at (a record below it is dropped) unless unsafe payloads
# are allowed. telegram and aiohttp say useful things at INFO and put payloads only in DEBUG;
# the others put payloads (SQL parameters, request URLs with the token, job arguments) or
# noise in INFO. The sandbox is a library here: in the bot's process only tests and the demo
# run it, and its DEBUG lines carry the users' texts.
LIBRARY_FLOORS: dict[str, int] = {
    "telegram": logging.INFO,
    "aiohttp": logging.INFO,
    "sandbox": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "aiosqlite": logging.WARNING,
    "asyncpg": logging.WARNING,
    "alembic": logging.WARNING,
}
# Any other library: its INFO is allowed, its DEBUG is not.
DEFAULT_LIBRARY_FLOOR = logging.INFO

REDACTED = "[REDACTED]"


# Keyed, so that a log reader cannot hash every possible Telegram id to find a user; set
# from the bot token when logging is configured (stable for one bot, secret like the token).
_pseudonym_key = b"interval"


def pseudonym(telegram_user_id: int) -> str:
    """A stable short id for a Telegram user that is safe to write to logs."""
    digest = hmac.new(_pseudonym_key, str(telegram_user_id).encode(), hashlib.sha256)
    return f"u-{digest.hexdigest()[:10]}"


# PostgreSQL's own error messages quote row values ("Key (patient_id, procedure, on_date)=
# (5, botox, 2026-11-19) already exists", "Failing row contains (...)"): hide_parameters
# cannot reach those, so a logged traceback has them cut here.
_ROW_VALUES = (
    re.compile(r"(Key \([^)]*\)=)\((?:[^()]|\([^()]*\))*\)"),
    re.compile(r"(Failing row contains )\((?:[^()]|\([^()]*\))*\)"),
)


class Redactor:
    """Replaces every form of the given secrets (as is, URL-quoted, JSON-escaped) in a text.

    Also cuts the row values PostgreSQL quotes in its error messages.
    """

    def __init__(self, secrets: list[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms |= {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}
        # Longest first, so that a secret containing another is replaced whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """The text with every secret replaced by `[REDACTED]`."""
        for form in self._forms:
            text = text.replace(form, REDACTED)
        for pattern in _ROW_VALUES:
            text = pattern.sub(rf"\1({REDACTED})", text)
        return text


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted line: message, `extra` fields, traceback and stack."""

    def __init__(self, inner: logging.Formatter, redact: Redactor) -> None:
        super().__init__()
        self._inner = inner
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        """Format with the inner formatter, then redact what it wrote."""
        # The secret can sit anywhere: in an argument, an exception's message (a URL with
        # the token), a frame of the stack: redacting the finished line covers them all.
        return self._redact(self._inner.format(record))


class LibraryFloor(logging.Filter):
    """Drops library records below their floor (LIBRARY_FLOORS); our own pass untouched."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self._level = level

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep our own records; keep a library's only at or above its floor."""
        return record.levelno >= self.floor(record.name)

    def floor(self, name: str) -> int:
        """The least level a record of logger `name` needs to be written."""
        root = name.split(".", 1)[0]
        if root in OWN_LOGGERS:
            return self._level
        return max(self._level, LIBRARY_FLOORS.get(root, DEFAULT_LIBRARY_FLOOR))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with `extra=` fields kept as keys."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a JSON line."""
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, default=str)


def configure_logging(
    level: str,
    fmt: str,
    secrets: list[str],
    *,
    unsafe_payloads: bool = False,
    stream: TextIO | None = None,
) -> None:
    """Set up the root logger once for the process; the first secret keys the pseudonyms.

    `unsafe_payloads` lets the libraries log at DEBUG too, and only when `level` is DEBUG.
    """
    global _pseudonym_key
    if secrets and secrets[0]:
        _pseudonym_key = hashlib.sha256(b"interval-pseudonym:" + secrets[0].encode()).digest()
    numeric = logging.getLevelName(level.upper())
    unsafe = unsafe_payloads and numeric == logging.DEBUG
    handler = logging.StreamHandler(stream or sys.stderr)
    inner = (
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.setFormatter(RedactingFormatter(inner, Redactor(secrets)))
    if not unsafe:
        # On the handler, so that it holds for libraries we have not heard of too.
        handler.addFilter(LibraryFloor(numeric))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    floor = LibraryFloor(numeric)
    for name in LIBRARY_FLOORS:
        # So that the libraries do not even build the records the handler would drop.
        logging.getLogger(name).setLevel(logging.NOTSET if unsafe else floor.floor(name))
    if unsafe:
        logging.getLogger(__name__).warning(
            "LOG_UNSAFE_PAYLOADS is on: this log holds patients' names, texts and treatment "
            "dates; keep it off anywhere real patients use the bot"
        )
