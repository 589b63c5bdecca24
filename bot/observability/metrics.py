"""The process's Prometheus metrics, in a registry of its own (tests build one each)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """Every metric Interval exports; one instance per process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "interval_updates_total",
            "Telegram updates handled, by type.",
            ["type"],
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "interval_handler_seconds",
            "Time to handle one update.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.messages_sent = Counter(
            "interval_messages_sent_total",
            "Outbox messages by kind and outcome (sent, retry, failed, blocked, dropped).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.telegram_errors = Counter(
            "interval_telegram_errors_total",
            "Errors answered by the Bot API, by code (429, 403, 400, 5xx, network).",
            ["code"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "interval_outbox_pending",
            "Outbox messages waiting to be sent (pending, any due time).",
            registry=self.registry,
        )
        self.outbox_due = Gauge(
            "interval_outbox_due",
            "Outbox messages whose time has come and that are not sent yet.",
            registry=self.registry,
        )
        self.oldest_due_age = Gauge(
            "interval_outbox_oldest_due_age_seconds",
            "How late the oldest due message is (0 when nothing is due).",
            registry=self.registry,
        )
        self.broadcasts_in_progress = Gauge(
            "interval_broadcasts_in_progress",
            "Broadcasts being delivered.",
            registry=self.registry,
        )
        self._last_update = time.monotonic()

    def update_handled(self, update_type: str, seconds: float) -> None:
        """Count one handled update and its latency."""
        self.updates.labels(update_type).inc()
        self.handler_seconds.observe(seconds)
        self._last_update = time.monotonic()

    def outcome(self, kind: str, label: str) -> None:
        """One outbox row's outcome (the dispatcher's DeliveryObserver)."""
        self.messages_sent.labels(kind, label).inc()

    def telegram_error(self, code: str) -> None:
        """One error answered by the Bot API or the network (DeliveryObserver)."""
        self.telegram_errors.labels(code).inc()

    def seconds_since_last_update(self) -> float:
        """Seconds since an update was last handled (or since start)."""
        return time.monotonic() - self._last_update
