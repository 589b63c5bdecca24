"""Clinics, staff, invites and memberships."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from rules import Procedure
from storage.clinics import ClinicNameTakenError
from storage.database import Database
from storage.models import MembershipRow
from storage.records import OutboxKind, PatientState, StaffRole
from tests.storage.factories import NOW, make_clinic, make_patient, make_treatment, message

DEEP_LINK_SAFE = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def test_a_new_clinic_gets_an_unguessable_deep_link_safe_join_code(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        one = await make_clinic(uow, contact="+49 30 1234", booking_url="https://x.example")
        two = await make_clinic(uow)
        found = await uow.clinics.get_by_join_code(one.join_code)
    assert DEEP_LINK_SAFE.fullmatch(one.join_code)
    assert len(one.join_code) >= 32
    assert one.join_code != two.join_code
    assert found == one
    assert one.guidance_version == 0


async def test_clinic_names_are_unique(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await make_clinic(uow, name="Skin & Co")
        with pytest.raises(ClinicNameTakenError):
            await make_clinic(uow, name="Skin & Co")
        assert [c.name for c in await uow.clinics.list_all()] == ["Skin & Co"]


async def test_update_and_rotate_change_only_that_clinic(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow, contact="old")
        other = await make_clinic(uow)
        updated = await uow.clinics.update(clinic.id, contact=None, booking_url="https://b")
        rotated = await uow.clinics.rotate_join_code(clinic.id)
        assert await uow.clinics.get_by_join_code(clinic.join_code) is None
        assert await uow.clinics.get(other.id) == other
        assert await uow.clinics.update(9999, contact="x") is None
    assert updated is not None
    assert (updated.contact, updated.booking_url, updated.timezone) == (
        None,
        "https://b",
        clinic.timezone,
    )
    assert rotated is not None
    assert rotated.join_code != clinic.join_code


async def test_staff_act_only_for_their_own_clinic(database: Database) -> None:
    async with database.unit_of_work() as uow:
        mine, theirs = await make_clinic(uow), await make_clinic(uow)
        await uow.clinics.add_staff(mine.id, 500, now=NOW, role=StaffRole.OWNER)
        again = await uow.clinics.add_staff(mine.id, 500, now=NOW)
        assert await uow.clinics.is_staff(mine.id, 500)
        assert not await uow.clinics.is_staff(theirs.id, 500)
        assert [c.id for c in await uow.clinics.clinics_of_staff(500)] == [mine.id]
        assert [s.telegram_user_id for s in await uow.clinics.list_staff(mine.id)] == [500]
        assert await uow.clinics.remove_staff(mine.id, 500)
        assert not await uow.clinics.is_staff(mine.id, 500)
    assert again.role is StaffRole.OWNER


async def test_a_staff_invite_works_once_and_the_first_member_becomes_owner(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        invite = await uow.clinics.create_invite(clinic.id, now=NOW, created_by=500)
        first = await uow.clinics.redeem_invite(invite.code, telegram_user_id=600, now=NOW)
        second = await uow.clinics.redeem_invite(invite.code, telegram_user_id=700, now=NOW)
        assert await uow.clinics.is_staff(clinic.id, 600)
        assert not await uow.clinics.is_staff(clinic.id, 700)
        used = await uow.clinics.get_invite(invite.code)
        another = await uow.clinics.create_invite(clinic.id, now=NOW)
        third = await uow.clinics.redeem_invite(another.code, telegram_user_id=800, now=NOW)
    assert DEEP_LINK_SAFE.fullmatch(invite.code)
    assert invite.expires_at == NOW + timedelta(days=7)
    assert (first.outcome, first.clinic_id, first.role) == ("accepted", clinic.id, StaffRole.OWNER)
    assert (third.outcome, third.role) == ("accepted", StaffRole.STAFF)
    assert second.outcome == "used"
    assert second.clinic_id is None
    assert used is not None
    assert (used.used_by, used.used_at) == (600, NOW)


async def test_an_expired_or_unknown_invite_is_refused(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        invite = await uow.clinics.create_invite(clinic.id, now=NOW, ttl=timedelta(hours=1))
        late = await uow.clinics.redeem_invite(
            invite.code, telegram_user_id=600, now=NOW + timedelta(hours=1)
        )
        unknown = await uow.clinics.redeem_invite("nope", telegram_user_id=600, now=NOW)
        withdrawn = await uow.clinics.create_invite(clinic.id, now=NOW)
        assert await uow.clinics.revoke_invite(clinic.id, withdrawn.id, now=NOW)
        assert not await uow.clinics.revoke_invite(clinic.id, withdrawn.id, now=NOW)
        revoked = await uow.clinics.redeem_invite(withdrawn.code, telegram_user_id=600, now=NOW)
        assert not await uow.clinics.is_staff(clinic.id, 600)
    assert late.outcome == "expired"
    assert unknown.outcome == "unknown"
    assert revoked.outcome == "revoked"


async def test_joining_another_clinic_ends_the_current_membership(database: Database) -> None:
    later = NOW + timedelta(days=1)
    async with database.unit_of_work() as uow:
        first, second = await make_clinic(uow), await make_clinic(uow)
        patient = await make_patient(uow)
        joined = await uow.clinics.join(patient.id, first.id, now=NOW)
        same = await uow.clinics.join(patient.id, first.id, now=later)
        switched = await uow.clinics.join(patient.id, second.id, now=later)
        history = await uow.clinics.memberships_of(patient.id)
        active = await uow.clinics.active_membership(patient.id)
        left = await uow.clinics.leave(patient.id, now=later)
        nothing = await uow.clinics.leave(patient.id, now=later)
    assert same == joined
    assert [(m.clinic_id, m.left_at) for m in history] == [(first.id, later), (second.id, None)]
    assert active == switched
    assert left is not None
    assert left.left_at == later
    assert nothing is None


async def test_the_database_refuses_two_active_memberships(database: Database) -> None:
    async with database.unit_of_work() as uow:
        first, second = await make_clinic(uow), await make_clinic(uow)
        patient = await make_patient(uow)
        await uow.clinics.join(patient.id, first.id, now=NOW)
        uow.session.add(MembershipRow(patient_id=patient.id, clinic_id=second.id, joined_at=NOW))
        with pytest.raises(IntegrityError):
            await uow.session.flush()


async def test_members_are_filtered_by_state_and_recent_treatments(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic, other_clinic = await make_clinic(uow), await make_clinic(uow)
        recent, old, blocked, elsewhere, gone = [await make_patient(uow) for _ in range(5)]
        for patient in (recent, old, blocked, gone):
            await uow.clinics.join(patient.id, clinic.id, now=NOW)
        await uow.clinics.join(elsewhere.id, other_clinic.id, now=NOW)
        await uow.clinics.leave(gone.id, now=NOW)
        await uow.patients.set_state(blocked.id, PatientState.BLOCKED)
        await make_treatment(uow, recent, on=date(2026, 2, 25), procedure=Procedure.BOTOX)
        await make_treatment(uow, old, on=date(2025, 6, 1))
        await make_treatment(uow, elsewhere, on=date(2026, 2, 25))
        everyone = await uow.clinics.members(clinic.id)
        active = await uow.clinics.members(clinic.id, states=(PatientState.ACTIVE,))
        treated = await uow.clinics.members(
            clinic.id, treated_between=(date(2026, 2, 1), date(2026, 3, 1))
        )
        needled = await uow.clinics.members(
            clinic.id,
            treated_between=(date(2026, 2, 1), date(2026, 3, 1)),
            procedure=Procedure.MICRONEEDLING,
        )
    assert [m.patient_id for m in everyone] == [recent.id, old.id, blocked.id]
    assert [m.patient_id for m in active] == [recent.id, old.id]
    assert [m.patient_id for m in treated] == [recent.id]
    assert needled == []
    assert everyone[0].chat_id == recent.chat_id


async def test_stats_count_this_clinics_members_and_reminders_only(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic, other = await make_clinic(uow), await make_clinic(uow)
        a, b, outsider = await make_patient(uow), await make_patient(uow), await make_patient(uow)
        await uow.clinics.join(a.id, clinic.id, now=NOW)
        await uow.clinics.join(b.id, clinic.id, now=NOW)
        await uow.clinics.join(outsider.id, other.id, now=NOW)
        await uow.patients.set_state(b.id, PatientState.PAUSED)
        await uow.outbox.add_many(
            [
                message(a, "sent"),
                message(a, "next", due_at=NOW + timedelta(days=3)),
                message(a, "notice", kind=OutboxKind.NOTICE, due_at=NOW + timedelta(days=3)),
                message(outsider, "next", due_at=NOW + timedelta(days=3)),
            ],
            now=NOW,
        )
        (row,) = await uow.outbox.claim_due(now=NOW, worker_id="w")
        await uow.outbox.mark_sent(row.id, worker_id="w", now=NOW)
        stats = await uow.clinics.stats(clinic.id, now=NOW)
    assert (stats.members, stats.active, stats.paused, stats.blocked) == (2, 1, 1, 0)
    assert (stats.reminders_sent_30d, stats.upcoming_reminders) == (1, 1)
