"""Logs: JSON when asked, secrets never written, patients named by pseudonyms only."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import load_settings
from bot.logging_setup import LIBRARY_FLOORS, Redactor, configure_logging, pseudonym

TOKEN = "123456:SECRET-TOKEN-VALUE"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARY_FLOORS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def test_json_format_writes_one_object_per_line_with_extra_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json", secrets=[TOKEN])
    logging.getLogger("bot.test").info("sent reminder %s", 7, extra={"patient": 42})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["message"] == "sent reminder 7"
    assert record["patient"] == 42
    assert record["level"] == "INFO"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_token_never_reaches_the_log(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    configure_logging("DEBUG", fmt, secrets=[TOKEN])
    logging.getLogger("httpx").warning("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    logging.getLogger("bot.test").error("request to /bot%s failed", TOKEN)
    written = capsys.readouterr().err
    assert TOKEN not in written
    assert "[REDACTED]" in written


def test_a_pseudonym_is_stable_and_does_not_contain_the_telegram_id() -> None:
    assert pseudonym(123456789) == pseudonym(123456789)
    assert pseudonym(123456789) != pseudonym(123456780)
    assert "123456789" not in pseudonym(123456789)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_token_in_a_traceback_a_stack_or_an_extra_field_is_redacted(
    capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    configure_logging("INFO", fmt, secrets=[TOKEN])
    log = logging.getLogger("bot.test")
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except ConnectionError:
        log.exception("start failed")
    log.info("a stack", stack_info=True, extra={"url": f"/bot{TOKEN}/sendMessage"})
    log.info("quoted", extra={"url": "/bot123456%3ASECRET-TOKEN-VALUE/x"})
    written = capsys.readouterr().err
    assert "cannot reach https://api.telegram.org/bot[REDACTED]/getMe" in written
    assert "ConnectionError" in written
    assert TOKEN not in written
    assert "SECRET-TOKEN-VALUE" not in written


def test_library_debug_is_dropped_at_debug_and_their_info_kept(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("DEBUG", "text", secrets=[TOKEN])
    logging.getLogger("telegram.ext.Application").debug("Processing update Update(Eve)")
    logging.getLogger("telegram.ext.Application").info("Application started")
    logging.getLogger("somelibrary.core").debug("payload Eve")
    logging.getLogger("somelibrary.core").info("library connected")
    # SQLAlchemy's INFO is the SQL itself; httpx's is every request URL.
    logging.getLogger("sqlalchemy.engine.Engine").info("INSERT ... ('Eve', '2026-11-19')")
    logging.getLogger("httpx").info("HTTP Request: POST /sendMessage")
    logging.getLogger("bot.test").debug("our own debug line")
    written = capsys.readouterr().err
    assert "Eve" not in written
    assert "HTTP Request" not in written
    assert "Application started" in written
    assert "library connected" in written
    assert "our own debug line" in written


def test_unsafe_payloads_open_the_libraries_only_at_debug(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "text", secrets=[TOKEN], unsafe_payloads=True)
    logging.getLogger("telegram.ext.Application").debug("Processing update Update(Eve)")
    assert "Eve" not in capsys.readouterr().err
    configure_logging("DEBUG", "text", secrets=[TOKEN], unsafe_payloads=True)
    logging.getLogger("telegram.ext.Application").debug("Processing update Update(Eve)")
    logging.getLogger("httpx").debug(f"POST /bot{TOKEN}/sendMessage")
    written = capsys.readouterr().err
    assert "LOG_UNSAFE_PAYLOADS is on" in written
    assert "Update(Eve)" in written
    assert TOKEN not in written


def test_unsafe_payloads_are_off_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOG_UNSAFE_PAYLOADS", raising=False)
    assert load_settings(_env_file=None).log_unsafe_payloads is False
    monkeypatch.setenv("LOG_UNSAFE_PAYLOADS", "true")
    assert load_settings(_env_file=None).log_unsafe_payloads is True


def test_the_row_values_postgresql_quotes_in_its_errors_are_cut() -> None:
    redact = Redactor([TOKEN])
    unique = "DETAIL:  Key (patient_id, procedure, on_date)=(5, botox, 2026-11-19) already exists."
    failing = "DETAIL:  Failing row contains (7, 5, botox, 2026-11-19, (note), 2026-11-24)."
    assert redact(unique) == (
        "DETAIL:  Key (patient_id, procedure, on_date)=([REDACTED]) already exists."
    )
    assert redact(failing) == "DETAIL:  Failing row contains ([REDACTED])."
