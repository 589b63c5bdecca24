"""`interval-bot sandbox` in a process of its own, driven over its control API.

Benchmarks, and the tests that measure rates, keep the sandbox out of the bot's event loop:
a loop shared by client and server bunches the server's arrivals whenever the client is
busy, which no real Telegram does.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TOKEN = "123456:BENCH"


class SandboxProcess:
    """`interval-bot sandbox` on a free port, driven over its control API."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.url}/bot"
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start it and wait until it answers."""
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli.main",
                "sandbox",
                "--port",
                str(self.port),
                "--token",
                TOKEN,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.call(f"/bot{TOKEN}/getMe")
            except OSError:
                time.sleep(0.1)
            else:
                return
        raise RuntimeError("the sandbox did not start")

    def stop(self) -> None:
        """Stop it."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=15)

    def call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """One control (or Bot API) call; its result."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            envelope = json.loads(response.read())
        if not envelope.get("ok"):
            raise RuntimeError(f"sandbox said {envelope}")
        return envelope["result"]

    def reset(
        self,
        user_ids: list[int],
        *,
        overall_rate: int | None,
        per_chat_rate: int | None,
        paid_rate: int | None = None,
    ) -> None:
        """Forget everything, create the users, set the limits."""
        self.call("/_sandbox/reset", {})
        for start in range(0, len(user_ids), 5000):
            chunk = user_ids[start : start + 5000]
            self.call("/_sandbox/users", {"users": [{"id": uid} for uid in chunk]})
        limits: dict[str, Any] = {"overall_rate": overall_rate, "per_chat_rate": per_chat_rate}
        if paid_rate is not None:
            limits["paid_rate"] = paid_rate
        self.call("/_sandbox/limits", limits)

    def send(self, user_id: int, text: str) -> None:
        """The user sends a text message."""
        self.call(f"/_sandbox/users/{user_id}/send", {"text": text})

    def messages(self, chat_id: int, since: int = 0, wait: float = 0) -> list[dict[str, Any]]:
        """The chat's messages changed after version `since` (waiting up to `wait` s)."""
        found: list[dict[str, Any]] = self.call(
            f"/_sandbox/chats/{chat_id}/messages?since={since}&wait={wait:g}"
        )["messages"]
        return found

    def sent(self) -> list[dict[str, Any]]:
        """Every accepted send, in order."""
        records: list[dict[str, Any]] = []
        since = 0
        while True:
            page = self.call(f"/_sandbox/sent?since={since}&limit=5000")
            records.extend(page["sent"])
            if not page["sent"]:
                return records
            since = page["next"]

    def stats(self) -> dict[str, Any]:
        """The sandbox counters."""
        result: dict[str, Any] = self.call("/_sandbox/stats")
        return result


@contextmanager
def sandbox_process() -> Iterator[SandboxProcess]:
    """A started sandbox process, stopped afterwards."""
    sandbox = SandboxProcess()
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()
