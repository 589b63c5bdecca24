"""`interval-bot sandbox`."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `sandbox` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser("sandbox", help="(not built yet)")
    parser.set_defaults(handler=lambda args: 1)
