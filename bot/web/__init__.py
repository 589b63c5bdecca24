"""The web edge of the bot process: the clinic dashboard (and its shared HTTP server)."""
