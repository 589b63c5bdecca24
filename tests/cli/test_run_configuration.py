"""`interval-bot run` refuses bad configuration with one clear line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "run"],
        cwd=tmp_path,  # no .env there
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_exits_2_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = _run(tmp_path, PYTHONPATH=str(Path(__file__).parents[2]))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "@BotFather" in lines[0]
    assert "interval-bot demo" in lines[0]
    assert "Traceback" not in result.stderr


def test_run_with_malformed_database_url_exits_2_naming_it(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        PYTHONPATH=str(Path(__file__).parents[2]),
        TELEGRAM_BOT_TOKEN="123456:TEST",
        DATABASE_URL="mysql://nope",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("interval-bot: DATABASE_URL is invalid")
    assert "postgresql+asyncpg://" in lines[0]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REMINDER_HOUR", "25"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("TELEGRAM_RATE_LIMIT", "fast"),
        ("TELEGRAM_BASE_URL", "api.telegram.org"),
        ("DATABASE_URL", "not a url"),
    ],
)
def test_malformed_setting_names_the_variable_and_shows_an_example(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    message = str(caught.value)
    assert message.startswith(f"{variable} is invalid")
    assert f"{variable}=" in message
    assert "\n" not in message


def test_token_never_appears_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:SECRET-TOKEN")
    settings = load_settings(_env_file=None)
    assert "SECRET-TOKEN" not in repr(settings)
    assert settings.token() == "999:SECRET-TOKEN"


def test_database_defaults_to_a_sqlite_file_under_the_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    settings = load_settings(_env_file=None)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'interval.db'}"


def test_webhook_mode_without_a_secret_exits_2_naming_it(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        PYTHONPATH=str(Path(__file__).parents[2]),
        TELEGRAM_BOT_TOKEN="123456:TEST",
        WEBHOOK_URL="https://bot.example.org/telegram",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("interval-bot: WEBHOOK_SECRET is not set")


@pytest.mark.parametrize("secret", ["has space", "x" * 257, "ünïcode"])
def test_a_webhook_secret_telegram_would_refuse_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", secret)
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET is invalid"):
        load_settings(_env_file=None)
