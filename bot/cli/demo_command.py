"""`interval-bot demo`: the sandbox and the real bot on a temporary database, in a terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.i18n import SUPPORTED_LANGUAGES


def register(subparsers: Any) -> None:
    """Add the `demo` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="chat with the real bot in this terminal, no Telegram account needed",
        description=(
            "Start the Bot API sandbox and the real bot on a temporary SQLite database, and "
            "chat with it as a patient. Numbers press buttons; /wait 14d moves the clock."
        ),
    )
    parser.add_argument(
        "--language", choices=SUPPORTED_LANGUAGES, default="en", help="your Telegram language"
    )
    parser.add_argument(
        "--timezone", default="Europe/Berlin", help="the time zone offered first (IANA name)"
    )
    parser.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo until Ctrl-D, Ctrl-C or /quit."""
    from bot.demo.session import DemoSession

    with tempfile.TemporaryDirectory(prefix="interval-demo-") as folder:
        session = DemoSession(data_dir=Path(folder), language=args.language, timezone=args.timezone)
        try:
            asyncio.run(session.run(sys.stdin, sys.stdout))
        except KeyboardInterrupt:
            print("\nBye.")
    return 0
