"""/help: what Interval does, its commands (the same list as the menu) and free text."""

from __future__ import annotations

from telegram import BotCommand

from bot.i18n import Translator
from bot.render.words import provider_prompt


def help_text(commands: list[BotCommand], t: Translator, *, signed_up: bool) -> str:
    """The help page; someone who has not signed up is told to begin with /start."""
    lines = [
        t.gettext("📖 <b>How Interval works</b>"),
        "",
        t.gettext(
            "Tell me when you had, or plan, Botox or microneedling. I work out when the other "
            "procedure may follow and remind you on the right day."
        ),
        "",
        *(f"/{command.command} — {command.description}" for command in commands),
        "",
        t.gettext(
            "You can also just write, for example “had botox yesterday”, “microneedling on "
            "20.11” or “botox planned 10 dec”."
        ),
    ]
    if not signed_up:
        lines += ["", t.gettext("To begin, send /start.")]
    lines += ["", provider_prompt(t)]
    return "\n".join(lines)
