"""One demo session: sandbox + bot + a fake clock, driven by lines of text."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TextIO

from bot.app import build_application, serving
from bot.clock import FakeClock, SystemClock
from bot.config import Settings
from bot.context import BotApp
from bot.demo.terminal import BANNER, Screen, parse_wait
from bot.jobs.clocked_queue import ClockedJobQueue
from bot.logging_setup import configure_logging
from sandbox import Sandbox, SandboxUser
from storage.database import Database
from storage.schema import upgrade_to_head

PATIENT_ID = 1001
QUIT = frozenset({"/quit", "/exit"})


class DemoSession:
    """Everything one `interval-bot demo` run needs."""

    def __init__(self, *, data_dir: Path, language: str, timezone: str) -> None:
        self._url = f"sqlite+aiosqlite:///{data_dir / 'demo.db'}"
        self._language = language
        self._timezone = timezone
        # The demo's time starts now and moves only with /wait.
        self.clock = FakeClock(SystemClock().now())
        self._screen = Screen()

    async def run(self, stdin: TextIO, stdout: TextIO) -> None:
        """Chat until end of input or /quit."""
        # The conversation is the demo's screen; keep library chatter out of it.
        configure_logging("WARNING", "text", secrets=[])
        await upgrade_to_head(self._url)
        database = Database(self._url)
        try:
            async with Sandbox(bot_username="interval_demo_bot") as sandbox:
                settings = Settings(
                    _env_file=None,  # type: ignore[call-arg]
                    telegram_bot_token=sandbox.token,  # type: ignore[arg-type]
                    telegram_base_url=sandbox.base_url,
                    database_url=self._url,
                    default_timezone=self._timezone,
                )
                application = build_application(settings, clock=self.clock, database=database)
                async with serving(application, poll_timeout=1):
                    user = sandbox.user(PATIENT_ID, first_name="You", language_code=self._language)
                    stdout.write(BANNER + "\n")
                    stdout.flush()
                    await self._chat(application, user, stdin, stdout)
        finally:
            await database.dispose()

    async def _chat(
        self, application: BotApp, user: SandboxUser, stdin: TextIO, stdout: TextIO
    ) -> None:
        printer = asyncio.create_task(self._print_changes(user, stdout))
        try:
            while True:
                line = await asyncio.to_thread(stdin.readline)
                if not line or line.strip() in QUIT:
                    break
                await self._handle(application, user, line.rstrip("\n"), stdout)
                # Give the bot a moment so its answer prints before the next prompt.
                await user.wait_until_idle(quiet=0.2, timeout=10)
        finally:
            printer.cancel()
        stdout.write("Bye.\n")
        stdout.flush()

    async def _handle(
        self, application: BotApp, user: SandboxUser, line: str, stdout: TextIO
    ) -> None:
        if not line.strip():
            return
        delta = parse_wait(line)
        if delta is not None:
            now = self.clock.advance(delta)
            stdout.write(f"(the clock moves forward to {now:%Y-%m-%d %H:%M} UTC)\n")
            stdout.flush()
            # Flows left open that long time out, as they would have in real time.
            if isinstance(application.job_queue, ClockedJobQueue):
                await application.job_queue.run_due()
            return
        if line.strip().startswith("/wait"):
            stdout.write("Try /wait 14d, /wait 3h or /wait 30m.\n")
            stdout.flush()
            return
        chosen = self._screen.button(line)
        if chosen is not None:
            message, button = chosen
            await user.press(message, callback_data=button.data)
            return
        await user.send(line)

    async def _print_changes(self, user: SandboxUser, stdout: TextIO) -> None:
        version = 0
        while True:
            changed = await user.wait_for_changes(version, wait=1.0)
            for message in changed:
                version = max(version, message.version)
                text = self._screen.render(message)
                if text:
                    stdout.write("\n" + text)
            if changed:
                stdout.flush()
