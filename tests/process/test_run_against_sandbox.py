"""`interval-bot run` as a real process against `interval-bot sandbox`, over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(url: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=70) as response:
        envelope = json.loads(response.read())
    assert envelope["ok"], envelope
    return envelope["result"]


def _wait_until_up(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            _call(url)
        except OSError:
            time.sleep(0.1)
        else:
            return
    raise AssertionError(f"{url} did not come up")


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli.main", *args]


@pytest.fixture
def sandbox_process() -> Iterator[int]:
    """`interval-bot sandbox --port N` as a subprocess; yields the port."""
    port = _free_port()
    process = subprocess.Popen(
        _command("sandbox", "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/bot123456:TEST/getMe", time.monotonic() + 30)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
        assert process.returncode == 0, output


def test_run_answers_start_over_http_and_stops_cleanly_on_sigterm(
    sandbox_process: int, tmp_path: Path
) -> None:
    port = sandbox_process
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        TELEGRAM_BOT_TOKEN="123456:TEST",
        TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}/bot",
        DATA_DIR=str(tmp_path / "data"),
    )
    bot = subprocess.Popen(
        _command("run"),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        control = f"http://127.0.0.1:{port}/_sandbox"
        _call(f"{control}/users/1001/send", {"text": "/start", "first_name": "Ana"})
        result = _call(f"{control}/chats/1001/messages?wait=30")
        texts = [message["text"] for message in result["messages"]]
        assert any("Welcome to Interval" in (text or "") for text in texts), texts
    finally:
        bot.send_signal(signal.SIGTERM)
        output, _ = bot.communicate(timeout=20)
    assert bot.returncode == 0, output
    assert "123456:TEST" not in output, "the token must never be logged"
    assert "Traceback" not in output, output
    assert (tmp_path / "data" / "interval.db").exists()
