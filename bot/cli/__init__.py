"""The `interval-bot` command line: one module per sub-command."""
