"""`interval-bot db`: schema migrations for operators who migrate explicitly.

`interval-bot run` upgrades the schema itself at start (see docs/operations.md); these
commands let an operator do it first, or check where a database stands.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.config import load_settings

EXIT_USAGE = 2
EXIT_NOT_CURRENT = 1


def register(subparsers: Any) -> None:
    """Add the `db` sub-command with `upgrade` and `current`."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "db",
        help="database schema: upgrade it, or show where it stands",
        description=(
            "Manage the database schema of DATABASE_URL (default: SQLite under DATA_DIR). "
            "`interval-bot run` upgrades the schema itself at start; use these to do it first."
        ),
    )
    parser.set_defaults(handler=_usage(parser))
    commands = parser.add_subparsers(dest="db_command", metavar="COMMAND")
    upgrade = commands.add_parser(
        "upgrade",
        help="migrate the schema to the latest revision (safe to run twice, or concurrently)",
        description="Migrate the schema to the latest revision. Nothing happens if it is current.",
    )
    upgrade.set_defaults(handler=upgrade_command)
    current = commands.add_parser(
        "current",
        help="show the schema's state; exit 1 unless it is current",
        description="Print the schema's revision and state (current, outdated or empty).",
    )
    current.set_defaults(handler=current_command)


def _usage(parser: argparse.ArgumentParser) -> Any:
    def show(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return EXIT_USAGE

    return show


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def upgrade_command(args: argparse.Namespace) -> int:
    """Upgrade the configured database to the latest revision."""
    from storage.schema import head_revision, upgrade_to_head

    url = load_settings().effective_database_url
    _ensure_sqlite_directory(url)
    try:
        asyncio.run(upgrade_to_head(url))
    except (DBAPIError, OSError) as exc:
        return _unreachable(url, exc)
    print(f"{_shown(url)}: schema at revision {head_revision()} (current)")
    return 0


def current_command(args: argparse.Namespace) -> int:
    """Print the schema's revision and state; exit 1 unless it is current."""
    from storage.schema import SchemaAheadError, current_revision, schema_state

    url = load_settings().effective_database_url
    if _sqlite_file_missing(url):
        # Opening it would create an empty file; "empty" is the answer without side effects.
        print(f"{_shown(url)}: revision - (empty)")
        print("run `interval-bot db upgrade` to create the schema", file=sys.stderr)
        return EXIT_NOT_CURRENT

    async def inspect() -> tuple[str | None, str]:
        return await current_revision(url), await schema_state(url)

    try:
        revision, state = asyncio.run(inspect())
    except SchemaAheadError as exc:
        print(f"interval-bot: {exc}", file=sys.stderr)
        return EXIT_NOT_CURRENT
    except (DBAPIError, OSError) as exc:
        return _unreachable(url, exc)
    print(f"{_shown(url)}: revision {revision or '-'} ({state})")
    if state != "current":
        print("run `interval-bot db upgrade` to bring it up to date", file=sys.stderr)
        return EXIT_NOT_CURRENT
    return 0


def _unreachable(url: str, exc: BaseException) -> int:
    reason = getattr(exc, "orig", None) or exc
    print(f"interval-bot: cannot use the database {_shown(url)}: {reason}", file=sys.stderr)
    return EXIT_NOT_CURRENT


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def _sqlite_file_missing(url: str) -> bool:
    path = _sqlite_file(url)
    return path is not None and not path.exists()


def _ensure_sqlite_directory(url: str) -> None:
    # The embedded default lives under DATA_DIR, which may not exist on a first run.
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
