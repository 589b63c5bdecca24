"""The terminal side of the demo: print the bot's messages, read what the patient types."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from sandbox import BotMessage, Button

WAIT = re.compile(r"^/wait\s+(\d+)\s*([dhm])$", re.IGNORECASE)
UNITS = {"d": "days", "h": "hours", "m": "minutes"}

BANNER = """\
Interval demo — you are a patient chatting with the real bot (no Telegram account needed).
  type a message and press Enter        e.g. /start, had botox yesterday, /next
  type a number                         press that button of the latest message
  /wait 14d  (or 3h, 30m)               move the clock forward to watch reminders arrive
  /quit, Ctrl-D or Ctrl-C               end the demo
"""


def parse_wait(line: str) -> timedelta | None:
    """`/wait 14d` → 14 days; None when the line is not a wait command."""
    match = WAIT.match(line.strip())
    if match is None:
        return None
    amount, unit = int(match.group(1)), match.group(2).lower()
    return timedelta(**{UNITS[unit]: amount})


@dataclass
class Screen:
    """What the terminal shows, and which buttons the numbers press."""

    buttons: list[tuple[BotMessage, Button]] = field(default_factory=list)
    _shown: dict[int, str] = field(default_factory=dict)

    def render(self, message: BotMessage) -> str:
        """One bot message as terminal text, its buttons numbered from 1; "" if nothing new.

        An edit that only takes the buttons away (after a press) is not shown again.
        """
        if message.deleted:
            return ""
        edited = message.message_id in self._shown
        if (
            edited
            and self._shown[message.message_id] == (message.text or "")
            and not message.buttons
        ):
            return ""
        self._shown[message.message_id] = message.text or ""
        heading = "Interval (edited)" if edited else "Interval"
        body = message.text or ""
        if message.document is not None:
            body = f"[file: {message.document.file_name}]\n{body}".strip()
        elif message.photo is not None:
            # A terminal shows no picture; its name says what /timeline sent.
            body = f"[picture: {message.photo.file_name}]\n{body}".strip()
        lines = [f"── {heading} ──", body]
        rows = message.buttons
        if rows:
            self.buttons = []
            for row in rows:
                labels = []
                for button in row:
                    self.buttons.append((message, button))
                    labels.append(f"[{len(self.buttons)}] {button.text}")
                lines.append("   ".join(labels))
        return "\n".join(line for line in lines if line) + "\n"

    def button(self, line: str) -> tuple[BotMessage, Button] | None:
        """The button a typed number means, if it is one."""
        if not line.strip().isdigit():
            return None
        index = int(line.strip()) - 1
        return self.buttons[index] if 0 <= index < len(self.buttons) else None
