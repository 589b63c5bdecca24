"""`interval-bot db`."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `db` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser("db", help="(not built yet)")
    parser.set_defaults(handler=lambda args: 1)
