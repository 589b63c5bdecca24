"""Keeping a patient's reminder rows equal to what `rules` plans, as a diff."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.usecases.reminder_payload import reminder_payload
from rules import (
    GuidanceSet,
    PlanDiff,
    RuleOverride,
    apply_overrides,
    default_guidance,
    diff_plan,
    plan_reminders,
)
from storage.records import NewMessage, OutboxKind, Patient, PatientState
from storage.unit_of_work import UnitOfWork


def local_today(patient: Patient, now: datetime) -> date:
    """The patient's calendar date at `now`."""
    return now.astimezone(ZoneInfo(patient.timezone)).date()


async def guidance_for(uow: UnitOfWork, patient_id: int) -> tuple[GuidanceSet, int | None]:
    """The guidance that applies to a patient (their clinic's, or the defaults) and the clinic."""
    membership = await uow.clinics.active_membership(patient_id)
    if membership is None:
        return default_guidance(), None
    current = await uow.guidance.current(membership.clinic_id)
    overrides = [RuleOverride(o.after, o.then, o.min_days) for o in current.overrides]
    return apply_overrides(default_guidance(), overrides, current.version), membership.clinic_id


async def replan(uow: UnitOfWork, patient_id: int, now: datetime) -> PlanDiff:
    """Bring the patient's pending reminders in line with their history and settings.

    Runs inside the caller's unit of work, so the change and the re-plan commit together.
    A patient who is paused or blocked keeps no pending reminders at all.
    """
    patient = await uow.patients.get_by_id(patient_id)
    pending = (
        await uow.outbox.pending_for_patient(patient_id, kind=OutboxKind.REMINDER)
        if patient is not None
        else []
    )
    existing = {message.dedupe_key: message.due_at for message in pending}
    if patient is None or patient.state is not PatientState.ACTIVE:
        await uow.outbox.cancel(patient_id, existing)
        return PlanDiff(add=(), cancel=tuple(existing), keep=())
    guidance, _clinic_id = await guidance_for(uow, patient_id)
    plan = plan_reminders(
        await uow.treatments.history(patient_id),
        guidance,
        tz=patient.timezone,
        reminder_hour=patient.reminder_hour,
        heads_up_days=patient.heads_up_days,
        now=now,
        quiet_start=patient.quiet_start,
        quiet_end=patient.quiet_end,
    )
    diff = diff_plan(existing, plan)
    await uow.outbox.cancel(patient_id, diff.cancel)
    if diff.add:
        await uow.outbox.add_many(
            [
                NewMessage(
                    kind=OutboxKind.REMINDER,
                    patient_id=patient_id,
                    chat_id=patient.chat_id,
                    due_at=planned.due_at,
                    dedupe_key=planned.key,
                    payload=reminder_payload(planned),
                )
                for planned in diff.add
            ],
            now=now,
        )
    return diff
