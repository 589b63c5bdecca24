"""`interval-bot run`."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `run` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser("run", help="(not built yet)")
    parser.set_defaults(handler=lambda args: 1)
