"""A planned reminder survives the round trip through its outbox payload."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from bot.usecases.payloads import PayloadError, ReminderContent, decode, reminder_payload
from rules import (
    ClinicRule,
    Entry,
    Procedure,
    RuleOverride,
    apply_overrides,
    default_guidance,
    plan_reminders,
)
from storage.records import OutboxKind


def test_a_planned_reminder_round_trips_through_json() -> None:
    history = [Entry(Procedure.BOTOX, date(2026, 11, 20), "7")]
    plan = plan_reminders(
        history,
        default_guidance(),
        tz="Europe/Berlin",
        reminder_hour=9,
        heads_up_days=2,
        now=datetime(2026, 11, 21, 12, tzinfo=UTC),
    )
    assert plan
    for planned in plan:
        content = decode(OutboxKind.REMINDER, json.loads(json.dumps(reminder_payload(planned))))
        assert isinstance(content, ReminderContent)
        assert content.kind is planned.kind
        assert content.procedure is planned.procedure
        assert content.local_date == planned.local_date
        assert content.reasons == planned.reasons


def test_the_clinics_own_rules_round_trip_and_older_rows_have_none() -> None:
    guidance = apply_overrides(
        default_guidance(),
        [RuleOverride(Procedure.BOTOX, Procedure.MICRONEEDLING, None)],
        version=3,
    )
    history = [Entry(Procedure.BOTOX, date(2026, 11, 20), "7")]
    plan = plan_reminders(
        history,
        guidance,
        tz="Europe/Berlin",
        reminder_hour=9,
        heads_up_days=2,
        now=datetime(2026, 11, 21, 12, tzinfo=UTC),
    )
    off = ClinicRule(Procedure.BOTOX, Procedure.MICRONEEDLING, None, 14)
    assert guidance.clinic_rules == (off,)
    assert plan
    for planned in plan:
        stored = json.loads(json.dumps(reminder_payload(planned)))
        content = decode(OutboxKind.REMINDER, stored)
        assert isinstance(content, ReminderContent)
        assert content.clinic_rules == planned.clinic_rules
        older = {key: value for key, value in stored.items() if key != "clinic_rules"}
        again = decode(OutboxKind.REMINDER, older)
        assert isinstance(again, ReminderContent)
        assert again.clinic_rules == ()
    # Microneedling after Botox is what the clinic switched off; Botox's own reminders are
    # about the Botox re-treatment, which it did not change.
    by_procedure = {p.procedure: p.clinic_rules for p in plan}
    assert by_procedure[Procedure.BOTOX] == ()
    assert Procedure.MICRONEEDLING not in by_procedure  # possible at once: nothing to remind
    bad = reminder_payload(plan[0]) | {
        "clinic_rules": [{"after": "botox", "then": "microneedling", "min_days": True}]
    }
    with pytest.raises(PayloadError):
        decode(OutboxKind.REMINDER, bad)


def test_a_planned_entry_and_the_history_digest_round_trip_and_older_rows_lack_both() -> None:
    history = [Entry(Procedure.BOTOX, date(2026, 12, 10), "7")]
    plan = plan_reminders(
        history,
        default_guidance(),
        tz="Europe/Berlin",
        reminder_hour=9,
        heads_up_days=2,
        now=datetime(2026, 11, 21, 12, tzinfo=UTC),
    )
    (before,) = [p for p in plan if p.kind.value == "before_planned"]
    stored = json.loads(json.dumps(reminder_payload(before, "abc123")))
    content = decode(OutboxKind.REMINDER, stored)
    assert isinstance(content, ReminderContent)
    assert content.history == "abc123"
    assert content.reasons == before.reasons
    assert all(reason.entry_planned for reason in content.reasons)
    older = {key: value for key, value in stored.items() if key != "history"}
    for reason in older["reasons"]:
        del reason["entry_planned"]
    again = decode(OutboxKind.REMINDER, older)
    assert isinstance(again, ReminderContent)
    assert again.history is None
    assert not any(reason.entry_planned for reason in again.reasons)
