"""The web edges of the bot process: the clinic dashboard and the Telegram webhook receiver."""
