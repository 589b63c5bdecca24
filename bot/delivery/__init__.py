"""Delivery of outbox messages: the dispatcher, its rate-limited sender and the scheduler."""
