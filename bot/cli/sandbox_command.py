"""`interval-bot sandbox`: the Bot API sandbox as a standalone server."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox import Sandbox


DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8081
DEFAULT_TOKEN = "123456:TEST"


def register(subparsers: Any) -> None:
    """Add the `sandbox` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sandbox",
        help="run the Bot API sandbox (a local stand-in for Telegram)",
        description=(
            "Serve the Telegram Bot API on HTTP for one bot token, with simulated users driven "
            "by the control API under /_sandbox/ (see docs/sandbox.md). Point the bot at it "
            "with TELEGRAM_BASE_URL. Runs until Ctrl-C or SIGTERM."
        ),
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (%(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (%(default)s)")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="bot token served (%(default)s)")
    parser.add_argument(
        "--bot-username", default="interval_test_bot", help="the bot's @username (%(default)s)"
    )
    limits = parser.add_argument_group("rate limits (off unless given)")
    limits.add_argument(
        "--overall-rate", type=_positive_int, metavar="N", help="sends per rolling second, overall"
    )
    limits.add_argument(
        "--per-chat-rate", type=_positive_int, metavar="N", help="sends per rolling second per chat"
    )
    limits.add_argument(
        "--paid-rate",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="sends per rolling second with allow_paid_broadcast, when an overall rate is set "
        "(%(default)s)",
    )
    faults = parser.add_argument_group("fault injection (send methods only)")
    faults.add_argument(
        "--fault-rate", type=float, default=0.0, metavar="P", help="share of sends that fail (0..1)"
    )
    faults.add_argument(
        "--fault-kinds",
        default="429",
        metavar="K,K",
        help="comma-separated: 429, 500, 502, slow, timeout, delivered_timeout (%(default)s)",
    )
    faults.add_argument("--fault-seed", type=int, help="seed for repeatable faults")
    faults.add_argument(
        "--retry-after", type=_positive_int, default=1, metavar="S", help="retry_after of a 429"
    )
    faults.add_argument(
        "--slow-seconds", type=float, default=1.0, metavar="S", help="delay of a slow answer"
    )
    faults.add_argument(
        "--hang-seconds",
        type=float,
        default=10.0,
        metavar="S",
        help="how long a timeout fault holds the request (%(default)s)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; exit 0."""
    from sandbox import FaultConfig, Sandbox  # imported here so `--help` stays fast

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    kinds = tuple(kind.strip() for kind in args.fault_kinds.split(",") if kind.strip())
    try:
        faults = FaultConfig(
            rate=args.fault_rate,
            kinds=kinds,  # FaultConfig rejects unknown names
            seed=args.fault_seed,
            retry_after=args.retry_after,
            slow_seconds=args.slow_seconds,
            hang_seconds=args.hang_seconds,
        )
        sandbox = Sandbox(
            args.token,
            args.bot_username,
            host=args.host,
            port=args.port,
            overall_rate=args.overall_rate,
            per_chat_rate=args.per_chat_rate,
            paid_rate=args.paid_rate,
            faults=faults,
            access_log=args.verbose,
        )
    except ValueError as exc:
        print(f"interval-bot sandbox: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(sandbox))
    except OSError as exc:
        print(
            f"interval-bot sandbox: cannot listen on {args.host}:{args.port}: {exc}",
            file=sys.stderr,
        )
        return 1
    return 0


async def _serve(sandbox: Sandbox) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await sandbox.start()
    try:
        print(f"Bot API sandbox for @{sandbox.bot_username} listening on {sandbox.url}")
        print(f"TELEGRAM_BASE_URL={sandbox.base_url}")
        print(f"TELEGRAM_BOT_TOKEN={sandbox.token}")
        print(
            f"Control API: {sandbox.control_url}/ (POST users/ID/send, GET chats/ID/messages, "
            "... see docs/sandbox.md). Ctrl-C stops.",
            flush=True,
        )
        await stop.wait()
    finally:
        await sandbox.stop()


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number
