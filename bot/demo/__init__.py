"""`interval-bot demo`: the sandbox and the real bot, with a patient's chat in the terminal."""
