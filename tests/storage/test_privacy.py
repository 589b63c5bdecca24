"""Privacy: export everything about one patient; delete them without a trace."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from rules import Procedure
from storage.database import Database
from storage.models import Base
from storage.privacy import PatientNotFoundError
from storage.records import ActorKind, OutboxKind, Patient
from storage.unit_of_work import UnitOfWork
from tests.storage.factories import NOW, make_clinic, make_patient, make_treatment, message

# Distinctive values: finding one of them anywhere means a row still refers to the person.
ALICE = {"telegram_user_id": 4_100_000_001, "chat_id": 4_100_000_002}
BOB = {"telegram_user_id": 4_200_000_001, "chat_id": 4_200_000_002}


async def _populate(uow: UnitOfWork, identity: dict[str, int], tag: str) -> Patient:
    """A patient with something in every table that can refer to a patient."""
    patient = await make_patient(uow, timezone="Europe/Madrid", **identity)
    clinic = await make_clinic(uow, name=f"Clinic of {tag}")
    await uow.clinics.join(patient.id, clinic.id, now=NOW)
    await uow.clinics.leave(patient.id, now=NOW + timedelta(days=1))
    other = await make_clinic(uow, name=f"Second clinic of {tag}")
    await uow.clinics.join(patient.id, other.id, now=NOW + timedelta(days=1))
    await make_treatment(
        uow, patient, procedure=Procedure.BOTOX, on=date(2026, 1, 10), note=f"{tag}-botox"
    )
    await make_treatment(
        uow, patient, procedure=Procedure.MICRONEEDLING, on=date(2026, 4, 10), note=f"{tag}-planned"
    )
    await uow.outbox.add(message(patient, f"{tag}-sent", payload={"tag": f"{tag}-sent"}), now=NOW)
    (row,) = await uow.outbox.claim_due(now=NOW, worker_id=f"w-{tag}")
    await uow.outbox.mark_sent(row.id, worker_id=f"w-{tag}", now=NOW, telegram_message_id=5)
    later = NOW + timedelta(days=5)
    await uow.outbox.add(
        message(patient, f"{tag}-pending", due_at=later, payload={"tag": f"{tag}-pending"}),
        now=NOW,
    )
    broadcast = await uow.broadcasts.create(
        other.id, author_user_id=9, text=f"{tag}-news", audience={"kind": "all"}, now=NOW
    )
    await uow.broadcasts.queue(
        other.id,
        broadcast.id,
        recipients=[(patient.id, patient.chat_id)],
        payload={"tag": f"{tag}-broadcast"},
        due_at=later,
        now=NOW,
    )
    await uow.audit.record(
        "patient.joined",
        at=NOW,
        actor_kind=ActorKind.PATIENT,
        actor_id=patient.telegram_user_id,
        clinic_id=clinic.id,
        subject_patient_id=patient.id,
        details={"patient": patient.id},
    )
    await uow.audit.record(
        "staff.viewed",
        at=NOW,
        actor_kind=ActorKind.STAFF,
        actor_id=9,
        clinic_id=clinic.id,
        subject_patient_id=patient.id,
    )
    return patient


async def test_export_holds_everything_of_the_patient_and_nothing_of_another(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        alice = await _populate(uow, ALICE, "alice")
        await _populate(uow, BOB, "bob")
        document = await uow.privacy.export_patient(alice.id)
    text = json.dumps(document)
    assert document["patient"]["telegram_user_id"] == ALICE["telegram_user_id"]
    assert document["patient"]["timezone"] == "Europe/Madrid"
    assert document["patient"]["quiet_start"] == "22:00:00"
    assert [(t["procedure"], t["on"], t["note"]) for t in document["treatments"]] == [
        ("botox", "2026-01-10", "alice-botox"),
        ("microneedling", "2026-04-10", "alice-planned"),
    ]
    assert [m["clinic_name"] for m in document["memberships"]] == [
        "Clinic of alice",
        "Second clinic of alice",
    ]
    pending = [m for m in document["messages"] if m["state"] == "pending"]
    assert {m["payload"]["tag"] for m in pending} == {"alice-pending", "alice-broadcast"}
    assert {m["kind"] for m in document["messages"]} == {
        OutboxKind.REMINDER.value,
        OutboxKind.BROADCAST.value,
    }
    assert [a["action"] for a in document["audit"]] == ["patient.joined", "staff.viewed"]
    for foreign in ("bob", str(BOB["telegram_user_id"]), str(BOB["chat_id"])):
        assert foreign not in text
    # Who acted is not exported when it was staff: that id is somebody else's data.
    assert '"actor_id"' not in text


async def test_exporting_an_unknown_patient_says_so(database: Database) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(PatientNotFoundError):
            await uow.privacy.export_patient(123)


async def _rows_referring_to(database: Database, patient: Patient) -> list[tuple[str, Any]]:
    """Every (table, row) in the whole schema that still points at the patient.

    A row points at them when a column referencing patients.id holds their id, when any
    column holds their Telegram user or chat id, or when text they wrote (tagged "alice")
    is in it. Clinic names and broadcast texts are the clinic's, so they may stay.
    """
    personal = {patient.telegram_user_id, patient.chat_id}

    def refers(table_name: str, patient_columns: list[str], row: dict[str, Any]) -> bool:
        if any(row[name] == patient.id for name in patient_columns):
            return True
        if any(isinstance(value, int) and value in personal for value in row.values()):
            return True
        clinic_owned = table_name in ("clinics", "broadcasts")
        return not clinic_owned and "alice" in json.dumps(row, default=str)

    found: list[tuple[str, Any]] = []
    async with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            patient_columns = [
                column.name
                for column in table.columns
                if any(fk.column.table.name == "patients" for fk in column.foreign_keys)
                or (table.name == "patients" and column.name == "id")
            ]
            for mapping in (await connection.execute(select(table))).mappings():
                row = dict(mapping)
                if refers(table.name, patient_columns, row):
                    found.append((table.name, row))
    return found


async def test_delete_leaves_no_row_anywhere_that_refers_to_the_patient(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        alice = await _populate(uow, ALICE, "alice")
        bob = await _populate(uow, BOB, "bob")
        await uow.commit()
    before = await _rows_referring_to(database, alice)
    assert {table for table, _ in before} >= {
        "patients",
        "treatments",
        "memberships",
        "outbox",
        "audit_log",
    }
    async with database.unit_of_work() as uow:
        assert await uow.privacy.delete_patient(alice.id, now=NOW)
        await uow.commit()
    assert await _rows_referring_to(database, alice) == []
    async with database.unit_of_work() as uow:
        assert await uow.patients.get_by_id(alice.id) is None
        assert len(await uow.treatments.list_for_patient(bob.id)) == 2
        assert len(await uow.outbox.pending_for_patient(bob.id)) == 2
        assert (await uow.clinics.active_membership(bob.id)) is not None
        assert len(await uow.audit.about_patient(bob.id)) == 2
        assert (await uow.privacy.export_patient(bob.id))["patient"]["id"] == bob.id
        assert not await uow.privacy.delete_patient(alice.id)


async def test_audit_entries_survive_deletion_without_personal_data(database: Database) -> None:
    async with database.unit_of_work() as uow:
        alice = await _populate(uow, ALICE, "alice")
        clinic = await uow.clinics.get_by_name("Clinic of alice")
        assert clinic is not None
        await uow.privacy.delete_patient(alice.id, now=NOW)
        entries = await uow.audit.for_clinic(clinic.id)
    assert {e.action for e in entries} == {"patient.joined", "staff.viewed"}
    assert all(e.subject_patient_id is None for e in entries)
    assert all(e.details == {} for e in entries)
    joined = next(e for e in entries if e.action == "patient.joined")
    assert joined.actor_id is None


async def test_a_deleted_patient_can_start_again_as_a_new_patient(database: Database) -> None:
    async with database.unit_of_work() as uow:
        alice = await _populate(uow, ALICE, "alice")
        await uow.privacy.delete_patient(alice.id)
        again, created = await uow.patients.get_or_create(
            telegram_user_id=ALICE["telegram_user_id"], chat_id=ALICE["chat_id"], now=NOW
        )
    assert created
    assert again.id != alice.id
