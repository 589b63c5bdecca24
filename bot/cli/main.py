"""Entry point of `interval-bot`: builds the parser from each sub-command module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from bot.config import ConfigError

# Each module has `register(subparsers)` that adds its parser and sets `handler`.
COMMAND_MODULES = (
    "bot.cli.run_command",
    "bot.cli.demo_command",
    "bot.cli.sandbox_command",
    "bot.cli.db_command",
    "bot.cli.next_command",
    "bot.cli.clinic_command",
)

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line instead of the whole usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _version() -> str:
    try:
        return version("interval-bot")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The full `interval-bot` parser with every sub-command."""
    parser = _Parser(
        prog="interval-bot",
        description="Interval: spacing Botox and microneedling, with reminders on Telegram.",
    )
    parser.add_argument("--version", action="version", version=f"interval-bot {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `interval-bot` and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.handler(args)
    except ConfigError as exc:
        print(f"interval-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
