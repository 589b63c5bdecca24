"""`interval-bot run`: the bot process (long polling by default)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Any

from bot.config import load_settings
from bot.logging_setup import configure_logging

if TYPE_CHECKING:
    from bot.context import BotApp

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the `run` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="run the bot (long polling; settings come from the environment or .env)",
        description=(
            "Run the bot. Needs TELEGRAM_BOT_TOKEN; see README.md for every setting. Long "
            "polling by default; webhook mode with --webhook or when WEBHOOK_URL is set."
        ),
    )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates by webhook (needs WEBHOOK_URL and WEBHOOK_SECRET)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; return the exit code."""
    settings = load_settings()
    token = settings.token()
    webhook = settings.webhook() if args.webhook or settings.webhook_url else None
    secrets = [token] + ([webhook[1]] if webhook else [])
    configure_logging(
        settings.log_level,
        settings.log_format,
        secrets=secrets,
        unsafe_payloads=settings.log_unsafe_payloads,
    )
    # Imported here so that `interval-bot --help` and light commands start fast.
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application

    application = build_application(settings)
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    try:
        if webhook is None:
            application.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=stop_signals)
        else:
            # Our own receiver, not PTB's run_webhook: it refuses a request without the
            # secret, or too large, before reading its body (bot/web/webhook.py).
            asyncio.run(_run_webhook(application, stop_signals))
    except InvalidToken:
        logger.error("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather")
        return 1
    except NetworkError as exc:
        logger.error("cannot reach the Bot API at %s: %s", settings.telegram_base_url, exc)
        return 1
    return 0


async def _run_webhook(application: BotApp, stop_signals: tuple[signal.Signals, ...]) -> None:
    """Receive updates by webhook until one of the stop signals arrives."""
    from bot.app import receiving_webhook

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in stop_signals:
        loop.add_signal_handler(sig, stopping.set)
    async with receiving_webhook(application):
        await stopping.wait()
