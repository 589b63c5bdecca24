"""The downtime policy as a pure decision over due rows (`bot.delivery.downtime.triage`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

from bot.delivery.downtime import OVERTAKEN, PASSED, SUMMARISED, triage
from bot.usecases.payloads import ReminderContent, SnoozeNotice, encode
from rules import Procedure, ReminderKind
from storage.records import OutboxKind, OutboxMessage, OutboxState

NOW = datetime(2026, 12, 7, 10, tzinfo=UTC)
TODAY = {1: date(2026, 12, 7), 2: date(2026, 12, 7)}
_ids = count(1)


def _row(
    key: str,
    *,
    late: timedelta = timedelta(hours=1),
    patient_id: int = 1,
    kind: OutboxKind = OutboxKind.REMINDER,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    procedure = key.split(":")[1] if key.count(":") == 2 else "microneedling"
    return OutboxMessage(
        id=next(_ids),
        kind=kind,
        patient_id=patient_id,
        chat_id=1000 + patient_id,
        due_at=NOW - late,
        payload=payload
        or {"kind": key.split(":")[0], "procedure": procedure, "local_date": "2026-12-05"},
        dedupe_key=key,
        state=OutboxState.PENDING,
        priority=0,
        attempts=0,
        last_error=None,
        claimed_by=None,
        lease_until=None,
        sent_at=None,
        telegram_message_id=None,
        broadcast_id=None,
        created_at=NOW - timedelta(days=30),
    )


def test_a_heads_up_due_with_its_own_may_book_is_dropped() -> None:
    heads_up = _row("heads_up:microneedling:20261207", late=timedelta(days=2))
    may_book = _row("may_book:microneedling:20261207")
    decision = triage([heads_up, may_book], NOW, today=TODAY)
    assert decision.drop == {heads_up.id: OVERTAKEN}
    assert decision.summaries == ()


def test_a_retreatment_reminder_overtakes_its_heads_up_too() -> None:
    heads_up = _row("heads_up:botox:20261207", late=timedelta(days=2))
    due = _row("retreatment_due:botox:20261207")
    assert triage([heads_up, due], NOW, today=TODAY).drop == {heads_up.id: OVERTAKEN}


def test_a_heads_up_alone_or_for_another_date_or_patient_is_kept() -> None:
    alone = _row("heads_up:microneedling:20261209")
    other_date = _row("may_book:microneedling:20261201", late=timedelta(days=6))
    other_patient = _row("may_book:microneedling:20261209", patient_id=2)
    decision = triage([alone, other_date, other_patient], NOW, today=TODAY)
    assert decision.drop == {}


def test_a_reminder_before_a_planned_date_that_has_come_is_dropped() -> None:
    passed = _row("before_planned:botox:20261206", late=timedelta(days=3))
    today = _row("before_planned:botox:20261207", late=timedelta(days=2))
    coming = _row("before_planned:botox:20261208", late=timedelta(days=1))
    decision = triage([passed, today, coming], NOW, today=TODAY)
    assert decision.drop == {passed.id: PASSED, today.id: PASSED}


def test_more_than_a_week_late_becomes_one_summary_per_patient() -> None:
    old_one = _row("may_book:microneedling:20261126", late=timedelta(days=11))
    old_two = _row("retreatment_due:botox:20261128", late=timedelta(days=9))
    snoozed = _row(
        "snooze:77",
        late=timedelta(days=8),
        kind=OutboxKind.NOTICE,
        payload=encode(
            SnoozeNotice(
                "may_book:microneedling:20261120",
                ReminderContent(
                    ReminderKind.MAY_BOOK, Procedure.MICRONEEDLING, date(2026, 11, 20), 0, ()
                ),
            )
        ),
    )
    recent = _row("may_book:botox:20261201", late=timedelta(days=6))
    others = _row("may_book:microneedling:20261125", late=timedelta(days=12), patient_id=2)
    decision = triage([old_one, old_two, snoozed, recent, others], NOW, today=TODAY)
    assert decision.drop == {
        old_one.id: SUMMARISED,
        old_two.id: SUMMARISED,
        snoozed.id: SUMMARISED,
        others.id: SUMMARISED,
    }
    mine, theirs = decision.summaries
    assert mine.replaced == (old_one.id, old_two.id, snoozed.id)
    assert mine.message.dedupe_key == f"catch_up:{old_one.id}"
    assert mine.message.due_at == NOW
    assert mine.message.kind is OutboxKind.NOTICE
    items = mine.message.payload["items"]
    assert [item["key"] for item in items] == [
        "may_book:microneedling:20261126",
        "retreatment_due:botox:20261128",
        "may_book:microneedling:20261120",
    ]
    assert theirs.patient_id == 2


def test_an_overtaken_heads_up_is_dropped_not_summarised() -> None:
    heads_up = _row("heads_up:microneedling:20261126", late=timedelta(days=13))
    may_book = _row("may_book:microneedling:20261126", late=timedelta(days=11))
    decision = triage([heads_up, may_book], NOW, today=TODAY)
    assert decision.drop == {heads_up.id: OVERTAKEN, may_book.id: SUMMARISED}
    (summary,) = decision.summaries
    assert summary.replaced == (may_book.id,)


def test_broadcasts_and_catch_up_summaries_pass_untouched() -> None:
    broadcast = _row(
        "broadcast:3", late=timedelta(days=20), kind=OutboxKind.BROADCAST, payload={"x": 1}
    )
    summary = _row(
        "catch_up:1", late=timedelta(days=20), kind=OutboxKind.NOTICE, payload={"type": "catch_up"}
    )
    assert triage([broadcast, summary], NOW, today=TODAY).drop == {}


def test_without_a_lateness_limit_only_overtaken_rows_are_dropped() -> None:
    heads_up = _row("heads_up:microneedling:20261126", late=timedelta(days=13))
    may_book = _row("may_book:microneedling:20261126", late=timedelta(days=11))
    decision = triage([heads_up, may_book], NOW, today=TODAY, late_after=None)
    assert decision.drop == {heads_up.id: OVERTAKEN}
    assert decision.summaries == ()


def test_a_patient_gone_since_is_left_to_the_dispatcher() -> None:
    row = _row("may_book:microneedling:20261126", late=timedelta(days=11), patient_id=9)
    assert triage([row], NOW, today=TODAY).drop == {}
