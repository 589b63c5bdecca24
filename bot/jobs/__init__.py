"""Work the process does on its own schedule (PTB's JobQueue), not in answer to an update."""
