"""The peer of `bench/updates_bench.py`: a bare python-telegram-bot echo bot.

    python -m bench.echo_bot TOKEN BASE_URL

What a developer writes first: PTB's defaults (its transport, one update at a time), one
handler that answers every text with the same text. It runs until SIGTERM.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer with the same text."""
    if update.effective_message is not None and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    """Run until SIGTERM."""
    token, base_url = sys.argv[1], sys.argv[2]
    application = ApplicationBuilder().token(token).base_url(base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(poll_interval=0.0, timeout=10)


if __name__ == "__main__":
    main()
