"""Process logging: text or JSON lines, with secrets redacted and patients pseudonymous."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Any

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


# Keyed, so that a log reader cannot hash every possible Telegram id to find a user; set
# from the bot token when logging is configured (stable for one bot, secret like the token).
_pseudonym_key = b"interval"


def pseudonym(telegram_user_id: int) -> str:
    """A stable short id for a Telegram user that is safe to write to logs."""
    digest = hmac.new(_pseudonym_key, str(telegram_user_id).encode(), hashlib.sha256)
    return f"u-{digest.hexdigest()[:10]}"


class RedactingFilter(logging.Filter):
    """Replaces every occurrence of the given secrets in a record with `[REDACTED]`."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the formatted message (and its args) in place; never drop a record."""
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "[REDACTED]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


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
        return json.dumps(payload, default=str)


def configure_logging(level: str, fmt: str, secrets: list[str]) -> None:
    """Set up the root logger once for the process; the first secret keys the pseudonyms."""
    global _pseudonym_key
    if secrets and secrets[0]:
        _pseudonym_key = hashlib.sha256(b"interval-pseudonym:" + secrets[0].encode()).digest()
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter(secrets))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Bot API URLs contain the token: keep it quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
