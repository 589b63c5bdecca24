"""`interval-bot demo` in a pseudo-terminal: a person sees the welcome and presses a button."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow


class Terminal:
    """A process on a pseudo-terminal, read until a text shows up."""

    def __init__(self, *args: str) -> None:
        self._master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            close_fds=True,
        )
        os.close(slave)
        self.screen = ""

    def type(self, line: str) -> None:
        os.write(self._master, (line + "\n").encode())

    def expect(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen}")
            ready, _, _ = select.select([self._master], [], [], remaining)
            if ready:
                try:
                    self.screen += os.read(self._master, 65536).decode(errors="replace")
                except OSError:  # the process closed the terminal
                    break
        assert text in self.screen, self.screen

    def close(self) -> int:
        try:
            return self.process.wait(timeout=20)
        finally:
            os.close(self._master)


def test_demo_shows_the_welcome_answers_a_button_and_ends_on_quit() -> None:
    terminal = Terminal("demo")
    try:
        terminal.expect("you are a patient")
        terminal.type("/start")
        terminal.expect("Welcome to Interval")
        terminal.expect("[1] ✅ I agree")
        terminal.type("1")
        terminal.expect("Which time zone are you in?")
        terminal.type("3")
        terminal.expect("your time zone is Europe/Madrid")
        terminal.type("/wait 14d")
        terminal.expect("the clock moves forward")
        terminal.type("/quit")
        terminal.expect("Bye.")
    finally:
        code = terminal.close()
    assert code == 0
    assert "Traceback" not in terminal.screen
