"""Telegram handlers: each module parses updates, calls one use-case and renders the answer."""

from __future__ import annotations

from bot.context import BotApp
from bot.handlers import errors, start


def register_all(application: BotApp) -> None:
    """Register every handler module; order matters where groups overlap (see each module)."""
    for module in (errors, start):
        module.register(application)
