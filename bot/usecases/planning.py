"""Keeping a patient's reminder rows equal to what `rules` plans, as a diff."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.usecases.payloads import (
    CHAIN_KINDS,
    SnoozeNotice,
    decode_message,
    parse_key,
    reminder_payload,
)
from rules import (
    Entry,
    GuidanceSet,
    PlanDiff,
    PlannedReminder,
    Procedure,
    RuleOverride,
    apply_overrides,
    default_guidance,
    diff_plan,
    history_digest,
    plan_reminders,
)
from storage.records import NewMessage, OutboxKind, OutboxMessage, Patient, PatientState
from storage.unit_of_work import UnitOfWork


def local_today(patient: Patient, now: datetime) -> date:
    """The patient's calendar date at `now`."""
    return now.astimezone(ZoneInfo(patient.timezone)).date()


async def guidance_for(uow: UnitOfWork, patient_id: int) -> tuple[GuidanceSet, int | None]:
    """The guidance that applies to a patient (their clinic's, or the defaults) and the clinic."""
    membership = await uow.clinics.active_membership(patient_id)
    if membership is None:
        return default_guidance(), None
    return await clinic_guidance(uow, membership.clinic_id), membership.clinic_id


async def clinic_guidance(uow: UnitOfWork, clinic_id: int | None) -> GuidanceSet:
    """The guidance in force at a clinic (None: no clinic, the defaults)."""
    if clinic_id is None:
        return default_guidance()
    current = await uow.guidance.current(clinic_id)
    overrides = [RuleOverride(o.after, o.then, o.min_days) for o in current.overrides]
    return apply_overrides(default_guidance(), overrides, current.version)


async def replan(uow: UnitOfWork, patient_id: int, now: datetime) -> PlanDiff:
    """Bring the patient's pending reminders in line with their history and settings.

    Runs inside the caller's unit of work, so the change and the re-plan commit together.
    A patient who is paused or blocked keeps no pending reminders at all. Rows already due
    are the dispatcher's: the plan only holds reminders after `now`, so diffing them would
    cancel a reminder that is about to go out (or that came due while the bot was down).
    Chains the patient dismissed ("Not for me") are left out, and reminders they asked
    again ("Remind me in 3 days") are cancelled once the history has moved past them.
    """
    patient = await uow.patients.get_by_id(patient_id)
    pending = (
        await uow.outbox.pending_for_patient(patient_id, kind=OutboxKind.REMINDER)
        if patient is not None
        else []
    )
    if patient is None or patient.state is not PatientState.ACTIVE:
        keys = [message.dedupe_key for message in pending]
        await uow.outbox.cancel(patient_id, keys)
        return PlanDiff(add=(), cancel=tuple(keys), keep=())
    guidance, clinic_id = await guidance_for(uow, patient_id)
    history = await uow.treatments.history(patient_id)
    dismissed = await uow.dismissals.for_patient(patient_id)
    plan = [
        planned
        for planned in plan_reminders(
            history,
            guidance,
            tz=patient.timezone,
            reminder_hour=patient.reminder_hour,
            heads_up_days=patient.heads_up_days,
            now=now,
            quiet_start=patient.quiet_start,
            quiet_end=patient.quiet_end,
        )
        if not _dismissed(planned, dismissed)
    ]
    # A row at the same moment whose words changed (a reason, the clinic's own rule) is
    # replaced too, so what is sent is what the guidance in force says.
    digest = history_digest(history)
    wanted = {planned.key: _words(reminder_payload(planned, digest)) for planned in plan}
    reworded = {
        m.dedupe_key
        for m in pending
        if m.due_at > now and m.dedupe_key in wanted and _words(m.payload) != wanted[m.dedupe_key]
    }
    existing = {
        m.dedupe_key: m.due_at for m in pending if m.due_at > now and m.dedupe_key not in reworded
    }
    diff = diff_plan(existing, plan)
    await uow.outbox.cancel(patient_id, sorted(set(diff.cancel) | reworded))
    if diff.add:
        await uow.outbox.add_many(
            [
                NewMessage(
                    kind=OutboxKind.REMINDER,
                    patient_id=patient_id,
                    chat_id=patient.chat_id,
                    due_at=planned.due_at,
                    dedupe_key=planned.key,
                    payload=reminder_payload(planned, digest),
                    clinic_id=clinic_id,
                )
                for planned in diff.add
            ],
            now=now,
        )
    notices = await uow.outbox.pending_for_patient(patient_id, kind=OutboxKind.NOTICE)
    stale = [m.dedupe_key for m in notices if _stale_snooze(m, history, dismissed)]
    await uow.outbox.cancel(patient_id, stale)
    return diff


# Not words: a new guidance version alone changes none, and a row kept across a history
# change carries the older digest, which only makes the send-time check look again.
_NOT_WORDS = frozenset({"guidance_version", "history"})


def _words(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A reminder payload without what is not its words (guidance version, history digest)."""
    return {key: value for key, value in payload.items() if key not in _NOT_WORDS}


def _dismissed(planned: PlannedReminder, dismissed: set[tuple[Procedure, date]]) -> bool:
    if planned.kind not in CHAIN_KINDS:
        return False
    key = parse_key(planned.key)
    return key is not None and key.chain in dismissed


def _stale_snooze(
    message: OutboxMessage, history: list[Entry], dismissed: set[tuple[Procedure, date]]
) -> bool:
    """A reminder asked again is stale once its chain was dismissed, or the patient has
    done or planned the procedure since the day it was about."""
    try:
        notice = decode_message(message)
    except ValueError:
        return False
    if not isinstance(notice, SnoozeNotice):
        return False
    key = parse_key(notice.key)
    if key is not None and key.chain in dismissed:
        return True
    content = notice.reminder
    if content.kind not in CHAIN_KINDS:
        return False
    return any(e.procedure is content.procedure and e.on >= content.local_date for e in history)
