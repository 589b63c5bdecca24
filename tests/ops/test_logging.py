"""Logs: JSON when asked, secrets never written, patients named by pseudonyms only."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logging_setup import configure_logging, pseudonym

TOKEN = "123456:SECRET-TOKEN-VALUE"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


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
