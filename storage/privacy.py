"""A patient's rights: everything we hold about them as one document, and forgetting them."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, select, update

from storage._base import Repository
from storage.models import (
    AuditRow,
    ClinicRow,
    MembershipRow,
    OutboxRow,
    PatientRow,
    QuestionRelayRow,
    QuestionRow,
    ReminderDismissalRow,
    TreatmentRow,
)
from storage.records import ActorKind

EXPORT_FORMAT = "interval-export/1"


class PatientNotFoundError(LookupError):
    """No patient has this id."""


def _iso(value: datetime | date | time | None) -> str | None:
    return None if value is None else value.isoformat()


class PrivacyRepository(Repository):
    """Export and deletion of one patient's data; nothing of anyone else is touched."""

    async def export_patient(self, patient_id: int) -> dict[str, Any]:
        """Everything stored about the patient, JSON-serialisable (ISO dates and times)."""
        patient = await self._session.get(PatientRow, patient_id, populate_existing=True)
        if patient is None:
            raise PatientNotFoundError(f"no patient with id {patient_id}")
        treatments = await self._session.scalars(
            select(TreatmentRow)
            .where(TreatmentRow.patient_id == patient_id)
            .order_by(TreatmentRow.on, TreatmentRow.id)
            .execution_options(populate_existing=True)
        )
        memberships = await self._session.execute(
            select(MembershipRow, ClinicRow.name)
            .join(ClinicRow, ClinicRow.id == MembershipRow.clinic_id)
            .where(MembershipRow.patient_id == patient_id)
            .order_by(MembershipRow.joined_at, MembershipRow.id)
        )
        messages = await self._session.scalars(
            select(OutboxRow)
            .where(OutboxRow.patient_id == patient_id)
            .order_by(OutboxRow.due_at, OutboxRow.id)
            .execution_options(populate_existing=True)
        )
        dismissals = await self._session.scalars(
            select(ReminderDismissalRow)
            .where(ReminderDismissalRow.patient_id == patient_id)
            .order_by(ReminderDismissalRow.dismissed_at, ReminderDismissalRow.on)
        )
        questions = await self._session.execute(
            select(QuestionRow, ClinicRow.name)
            .join(ClinicRow, ClinicRow.id == QuestionRow.clinic_id)
            .where(QuestionRow.patient_id == patient_id)
            .order_by(QuestionRow.asked_at, QuestionRow.id)
        )
        audit = await self._session.scalars(
            select(AuditRow)
            .where(AuditRow.subject_patient_id == patient_id)
            .order_by(AuditRow.at, AuditRow.id)
        )
        return {
            "format": EXPORT_FORMAT,
            "patient": {
                "id": patient.id,
                "telegram_user_id": patient.telegram_user_id,
                "chat_id": patient.chat_id,
                "language": patient.language,
                "timezone": patient.timezone,
                "reminder_hour": patient.reminder_hour,
                "heads_up_days": patient.heads_up_days,
                "quiet_start": _iso(patient.quiet_start),
                "quiet_end": _iso(patient.quiet_end),
                "state": patient.state,
                "consent_at": _iso(patient.consent_at),
                "consent_version": patient.consent_version,
                "broadcasts_opt_out": patient.broadcasts_opt_out,
                "aftercare_off": patient.aftercare_off,
                "created_at": _iso(patient.created_at),
            },
            "treatments": [
                {
                    "id": row.id,
                    "procedure": row.procedure.value,
                    "on": _iso(row.on),
                    "note": row.note,
                    "created_at": _iso(row.created_at),
                    "updated_at": _iso(row.updated_at),
                }
                for row in treatments
            ],
            "memberships": [
                {
                    "clinic_id": row.clinic_id,
                    "clinic_name": clinic_name,
                    "joined_at": _iso(row.joined_at),
                    "left_at": _iso(row.left_at),
                }
                for row, clinic_name in memberships.tuples()
            ],
            "messages": [
                {
                    "id": row.id,
                    "kind": row.kind,
                    "state": row.state,
                    "due_at": _iso(row.due_at),
                    "sent_at": _iso(row.sent_at),
                    "payload": row.payload,
                }
                for row in messages
            ],
            "dismissed_reminders": [
                {
                    "procedure": row.procedure.value,
                    "on": _iso(row.on),
                    "dismissed_at": _iso(row.dismissed_at),
                }
                for row in dismissals
            ],
            # The answering staff member is named as the patient saw it, not by their id.
            "questions": [
                {
                    "clinic_name": clinic_name,
                    "asked_at": _iso(row.asked_at),
                    "question": row.text,
                    "shared_history": row.shared_history,
                    "answered_at": _iso(row.answered_at),
                    "answered_by": row.answered_by_name,
                    "answer": row.answer,
                }
                for row, clinic_name in questions.tuples()
            ],
            # Who acted is kept only when it was the patient: a staff id is not theirs.
            "audit": [
                {
                    "at": _iso(row.at),
                    "action": row.action,
                    "actor_kind": row.actor_kind,
                    "details": row.details,
                }
                for row in audit
            ],
        }

    async def delete_patient(self, patient_id: int, *, now: datetime | None = None) -> bool:
        """Delete the patient and every row that refers to them; False if unknown.

        Children are deleted explicitly (not only by ON DELETE CASCADE) so the result does
        not depend on SQLite's foreign-key pragma. Audit entries stay for the clinic's
        record but lose every link to the person: subject, actor id and details. With `now`,
        an anonymous "privacy.delete" entry records that a deletion happened.
        """
        user_id = await self._session.scalar(
            select(PatientRow.telegram_user_id).where(PatientRow.id == patient_id)
        )
        if user_id is None:
            return False
        await self._session.execute(
            delete(QuestionRelayRow).where(
                QuestionRelayRow.question_id.in_(
                    select(QuestionRow.id).where(QuestionRow.patient_id == patient_id)
                )
            )
        )
        for child in (OutboxRow, TreatmentRow, MembershipRow, ReminderDismissalRow, QuestionRow):
            await self._session.execute(delete(child).where(child.patient_id == patient_id))
        await self._session.execute(
            update(AuditRow)
            .where(AuditRow.subject_patient_id == patient_id)
            .values(subject_patient_id=None, details={})
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(
            update(AuditRow)
            .where(AuditRow.actor_kind == ActorKind.PATIENT.value, AuditRow.actor_id == user_id)
            .values(actor_id=None, details={})
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(delete(PatientRow).where(PatientRow.id == patient_id))
        if now is None:
            return True
        self._session.add(
            AuditRow(
                at=now,
                actor_kind=ActorKind.PATIENT.value,
                actor_id=None,
                action="privacy.delete",
                clinic_id=None,
                subject_patient_id=None,
                details={},
            )
        )
        await self._session.flush()
        return True
