"""The bot's public HTTP edge: the Telegram webhook receiver."""
