"""Who a batch of outbox messages goes to: each patient with their clinic, in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, select

from storage._base import Repository
from storage.clinics import to_clinic
from storage.models import ClinicRow, MembershipRow, PatientRow
from storage.patients import to_patient
from storage.records import Clinic, Patient


@dataclass(frozen=True, slots=True)
class Recipient:
    """A patient as the dispatcher sees them at send time, and their clinic if any."""

    patient: Patient
    clinic: Clinic | None


class RecipientRepository(Repository):
    """Read-only lookups for the dispatcher."""

    async def for_patients(self, patient_ids: Iterable[int]) -> dict[int, Recipient]:
        """Patient id -> recipient, for those of `patient_ids` that still exist."""
        wanted = sorted(set(patient_ids))
        if not wanted:
            return {}
        rows = await self._session.execute(
            select(PatientRow, ClinicRow)
            .outerjoin(
                MembershipRow,
                and_(MembershipRow.patient_id == PatientRow.id, MembershipRow.left_at.is_(None)),
            )
            .outerjoin(ClinicRow, ClinicRow.id == MembershipRow.clinic_id)
            .where(PatientRow.id.in_(wanted))
            .execution_options(populate_existing=True)
        )
        return {
            patient.id: Recipient(
                patient=to_patient(patient), clinic=None if clinic is None else to_clinic(clinic)
            )
            for patient, clinic in rows.tuples()
        }
