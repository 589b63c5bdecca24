"""The audit log."""

from __future__ import annotations

from datetime import timedelta

from storage.database import Database
from storage.records import ActorKind
from tests.storage.factories import NOW, make_clinic, make_patient


async def test_entries_are_listed_per_clinic_newest_first(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic, other = await make_clinic(uow), await make_clinic(uow)
        patient = await make_patient(uow)
        await uow.audit.record(
            "broadcast.sent",
            at=NOW,
            actor_kind=ActorKind.STAFF,
            actor_id=500,
            clinic_id=clinic.id,
            details={"broadcast_id": 1, "recipients": 3},
        )
        await uow.audit.record(
            "guidance.changed",
            at=NOW + timedelta(minutes=1),
            actor_kind=ActorKind.STAFF,
            actor_id=500,
            clinic_id=clinic.id,
            subject_patient_id=patient.id,
        )
        await uow.audit.record(
            "clinic.created", at=NOW, actor_kind=ActorKind.OPERATOR, clinic_id=other.id
        )
        entries = await uow.audit.for_clinic(clinic.id)
        about = await uow.audit.about_patient(patient.id)
    assert [e.action for e in entries] == ["guidance.changed", "broadcast.sent"]
    assert entries[1].details == {"broadcast_id": 1, "recipients": 3}
    assert [e.action for e in about] == ["guidance.changed"]
    assert about[0].actor_kind is ActorKind.STAFF
