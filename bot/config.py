"""Process configuration, read once from the environment (and an optional `.env`)."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

OFFICIAL_BASE_URL = "https://api.telegram.org/bot"

# One valid example per variable, shown when a value is missing or malformed.
EXAMPLES: dict[str, str] = {
    "TELEGRAM_BOT_TOKEN": "TELEGRAM_BOT_TOKEN=123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    "TELEGRAM_BASE_URL": "TELEGRAM_BASE_URL=https://api.telegram.org/bot",
    "DATABASE_URL": "DATABASE_URL=postgresql+asyncpg://interval:secret@127.0.0.1:5432/interval",
    "DATA_DIR": "DATA_DIR=./data",
    "DEFAULT_TIMEZONE": "DEFAULT_TIMEZONE=Europe/Berlin",
    "REMINDER_HOUR": "REMINDER_HOUR=9",
    "TELEGRAM_RATE_LIMIT": "TELEGRAM_RATE_LIMIT=30",
    "DISPATCH_INTERVAL": "DISPATCH_INTERVAL=2",
    "DISPATCH_BATCH_SIZE": "DISPATCH_BATCH_SIZE=100",
    "DISPATCH_LEASE_SECONDS": "DISPATCH_LEASE_SECONDS=60",
    "SEND_CONCURRENCY": "SEND_CONCURRENCY=64",
    "LOG_LEVEL": "LOG_LEVEL=INFO",
    "LOG_FORMAT": "LOG_FORMAT=json",
    "WEBHOOK_URL": "WEBHOOK_URL=https://bot.example.org/telegram",
    "WEBHOOK_SECRET": "WEBHOOK_SECRET=Zq3-long_random_string",
    "WEBHOOK_LISTEN": "WEBHOOK_LISTEN=0.0.0.0",
    "WEBHOOK_PORT": "WEBHOOK_PORT=8443",
    "WEBHOOK_MAX_BODY_BYTES": "WEBHOOK_MAX_BODY_BYTES=1048576",
    "LOG_UNSAFE_PAYLOADS": "LOG_UNSAFE_PAYLOADS=false",
    "METRICS_PORT": "METRICS_PORT=9100",
    "METRICS_LISTEN": "METRICS_LISTEN=0.0.0.0",
    "REDIS_URL": "REDIS_URL=redis://127.0.0.1:6379/0",
    "CONVERSATION_TIMEOUT": "CONVERSATION_TIMEOUT=1800",
    "UPDATE_CONCURRENCY": "UPDATE_CONCURRENCY=64",
    "TELEGRAM_PAID_BROADCAST": "TELEGRAM_PAID_BROADCAST=true",
    "INBOUND_LIMIT": "INBOUND_LIMIT=20",
    "INBOUND_WINDOW": "INBOUND_WINDOW=10",
    "BROADCAST_COOLDOWN_MINUTES": "BROADCAST_COOLDOWN_MINUTES=10",
    "BROADCAST_DAILY_CAP": "BROADCAST_DAILY_CAP=3",
    "DASHBOARD_PORT": "DASHBOARD_PORT=8080",
    "DASHBOARD_LISTEN": "DASHBOARD_LISTEN=127.0.0.1",
    "DASHBOARD_URL": "DASHBOARD_URL=https://dashboard.example.org",
    "DASHBOARD_SECRET": "DASHBOARD_SECRET=a-long-random-string-of-32-or-more-characters",
}


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


class Settings(BaseSettings):
    """Every setting of the bot process; names are the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = OFFICIAL_BASE_URL
    database_url: str | None = None
    data_dir: Path = Path("data")
    default_timezone: str = "UTC"
    reminder_hour: int = Field(default=9, ge=0, le=23)
    telegram_rate_limit: float = Field(default=30.0, gt=0, le=10_000)
    # Seconds between the dispatcher's wake-ups: the most a due reminder waits to be claimed.
    dispatch_interval: float = Field(default=2.0, gt=0, le=300)
    # Rows claimed at once; also the most a crash can send twice (see docs/reminders.md).
    dispatch_batch_size: int = Field(default=100, ge=1, le=1000)
    # How long a claim lasts unless renewed: after a crash, another process (or the next
    # start) sends the claimed rows this much later.
    dispatch_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    # Sends in flight at once, and the size of the sending bot's connection pool.
    send_concurrency: int = Field(default=64, ge=1, le=1024)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # With LOG_LEVEL=DEBUG, also let the libraries (telegram, httpx, aiohttp, SQLAlchemy...)
    # log at DEBUG: they write whole updates and requests, i.e. patients' names, texts and
    # treatment dates. For a developer's machine only (docs/privacy.md).
    log_unsafe_payloads: bool = False
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # A webhook request declaring (or sending) more than this is refused with 413 unread;
    # Telegram's updates are a few kilobytes, and 1 MB leaves room for long texts.
    webhook_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_listen: str = "127.0.0.1"
    redis_url: str | None = None
    conversation_timeout: int = Field(default=1800, ge=10, le=86_400)
    # Updates handled at once (different chats; one chat's always in order). Each waits
    # mostly on the database and on Telegram, so far more than the cores.
    update_concurrency: int = Field(default=64, ge=1, le=4096)
    # Outbox messages carry allow_paid_broadcast: Telegram then takes up to 1,000/s for a
    # fee in Stars per message above the free limit (docs/operations.md).
    telegram_paid_broadcast: bool = False
    # One user's updates beyond this many in INBOUND_WINDOW seconds are dropped (they are
    # told once), so that one person cannot starve everyone else.
    inbound_limit: int = Field(default=20, ge=1, le=10_000)
    inbound_window: float = Field(default=10.0, gt=0, le=3600)
    # A clinic's broadcasts: at least this long apart, and at most this many a day.
    broadcast_cooldown_minutes: float = Field(default=10.0, ge=0, le=1440)
    broadcast_daily_cap: int = Field(default=3, ge=1, le=100)
    # The clinic dashboard (docs/dashboard.md): off unless DASHBOARD_PORT is set.
    dashboard_port: int | None = Field(default=None, ge=1, le=65535)
    dashboard_listen: str = "127.0.0.1"
    # The public address staff open (sign-in links point there); https also gives staff a
    # menu button that opens it as a Telegram Mini App.
    dashboard_url: str | None = None
    # Signs session cookies; when unset, derived from the bot token (HMAC), so it is stable
    # across restarts and changes when the token is revoked.
    dashboard_secret: SecretStr | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError("not a database URL") from exc
        if url.drivername not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
            raise ValueError(
                f"driver {url.drivername!r} is not supported; "
                "use sqlite+aiosqlite or postgresql+asyncpg"
            )
        return value

    @field_validator("telegram_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if not 1 <= len(secret) <= 256 or not all(
            c.isascii() and (c.isalnum() or c in "_-") for c in secret
        ):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be the public https:// address Telegram posts updates to")
        return value

    @field_validator("dashboard_url")
    @classmethod
    def _dashboard_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be the address staff open, starting with https:// or http://")
        return value.rstrip("/")

    @field_validator("dashboard_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @property
    def dashboard_base_url(self) -> str:
        """Where staff open the dashboard: DASHBOARD_URL, or this machine's port."""
        if self.dashboard_url:
            return self.dashboard_url
        return f"http://127.0.0.1:{self.dashboard_port or 8080}"

    def dashboard_key(self) -> bytes:
        """The key signing dashboard sessions: DASHBOARD_SECRET, or derived from the token."""
        if self.dashboard_secret is not None:
            return self.dashboard_secret.get_secret_value().encode()
        return hmac.new(self.token().encode(), b"interval-dashboard-session", "sha256").digest()

    def webhook(self) -> tuple[str, str]:
        """The webhook URL and its secret, or a ConfigError naming what is missing."""
        if not self.webhook_url:
            raise ConfigError(
                f"WEBHOOK_URL is not set: webhook mode needs the public address, e.g. "
                f"{EXAMPLES['WEBHOOK_URL']}"
            )
        if self.webhook_secret is None:
            raise ConfigError(
                "WEBHOOK_SECRET is not set: webhook mode needs a secret so that only Telegram "
                f"can post updates, e.g. {EXAMPLES['WEBHOOK_SECRET']}"
            )
        return self.webhook_url, self.webhook_secret.get_secret_value()

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'interval.db').resolve()}"

    def token(self) -> str:
        """The bot token, or a ConfigError that says how to get one."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram and "
                f"set it, e.g. {EXAMPLES['TELEGRAM_BOT_TOKEN']} "
                "(or try `interval-bot demo`, which needs no Telegram account)"
            )
        return self.telegram_bot_token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a validation failure into one ConfigError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "configuration"
        example = EXAMPLES.get(name, "")
        hint = f"; for example {example}" if example else ""
        raise ConfigError(f"{name} is invalid: {error['msg']}{hint}") from None
