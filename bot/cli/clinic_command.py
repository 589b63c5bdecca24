"""`interval-bot clinic`."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `clinic` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser("clinic", help="(not built yet)")
    parser.set_defaults(handler=lambda args: 1)
