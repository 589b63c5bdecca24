"""A planned reminder survives the round trip through its outbox payload."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bot.usecases.payloads import ReminderContent, decode, reminder_payload
from rules import Entry, Procedure, default_guidance, plan_reminders
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
