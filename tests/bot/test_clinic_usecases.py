"""Clinic use-cases on SQLite and PostgreSQL: joining, invites, broadcasts, guidance changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.usecases.broadcasts import (
    Audience,
    cancel_broadcast,
    confirm_broadcast,
    draft_broadcast,
)
from bot.usecases.clinics import (
    NotStaffError,
    clinic_stats,
    create_clinic,
    open_join_link,
    switch_clinic,
)
from bot.usecases.guidance import change_rule, replan_after_change, unfinished_replans
from bot.usecases.team import (
    NotOwnerError,
    create_invite,
    redeem_invite,
    remove_member,
    rotate_join_link,
    set_member_role,
    team,
)
from bot.usecases.treatments import log_treatment
from rules import Procedure
from storage.database import Database
from storage.records import BroadcastState, OutboxKind, Patient, StaffRole

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
STAFF, OTHER_STAFF = 501, 502


async def _patient(database: Database, user_id: int) -> Patient:
    async with database.unit_of_work() as uow:
        patient, _ = await uow.patients.get_or_create(
            telegram_user_id=user_id,
            chat_id=user_id,
            now=NOW,
            timezone="Europe/Berlin",
            consent_at=NOW,
            consent_version="t",
        )
        await uow.commit()
    return patient


async def test_joining_switching_and_invites(database: Database) -> None:
    aurora = await create_clinic(
        database, "Aurora", timezone="Europe/Berlin", contact=None, booking_url=None, now=NOW
    )
    bright = await create_clinic(
        database, "Bright", timezone="Europe/Berlin", contact=None, booking_url=None, now=NOW
    )
    patient = await _patient(database, 1001)
    code_a, code_b = aurora.clinic.join_code, bright.clinic.join_code
    assert (await open_join_link(database, patient.id, code_a, NOW)).kind == "joined"
    assert (await open_join_link(database, patient.id, code_a, NOW)).kind == "already"
    asked = await open_join_link(database, patient.id, code_b, NOW)
    assert asked.kind == "ask_switch"
    assert asked.current is not None
    assert asked.current.id == aurora.clinic.id
    assert (await open_join_link(database, patient.id, "nope", NOW)).kind == "unknown"
    assert (await switch_clinic(database, patient.id, code_b, NOW)).kind == "joined"
    async with database.unit_of_work() as uow:
        membership = await uow.clinics.active_membership(patient.id)
    assert membership is not None
    assert membership.clinic_id == bright.clinic.id

    code = aurora.invite.code
    assert (await redeem_invite(database, code, STAFF, NOW)).kind == "accepted"
    assert (await redeem_invite(database, code, STAFF, NOW)).kind == "already"
    assert (await redeem_invite(database, code, OTHER_STAFF, NOW)).kind == "used"
    late = NOW + timedelta(days=8)
    assert (await redeem_invite(database, bright.invite.code, STAFF, late)).kind == "expired"
    assert (await redeem_invite(database, "x" * 32, STAFF, NOW)).kind == "unknown"


async def test_a_broadcast_is_queued_once_by_its_author_only(database: Database) -> None:
    aurora = await create_clinic(
        database, "Aurora", timezone="Europe/Berlin", contact=None, booking_url=None, now=NOW
    )
    clinic_id = aurora.clinic.id
    await redeem_invite(database, aurora.invite.code, STAFF, NOW)
    async with database.unit_of_work() as uow:
        await uow.clinics.add_staff(clinic_id, OTHER_STAFF, now=NOW)
        await uow.commit()
    patients = [await _patient(database, 1001 + i) for i in range(3)]
    for patient in patients:
        await open_join_link(database, patient.id, aurora.clinic.join_code, NOW)
    await log_treatment(database, patients[0], Procedure.BOTOX, date(2026, 11, 20), NOW)

    with pytest.raises(NotStaffError):
        await draft_broadcast(database, clinic_id, 999, body="x", audience=Audience("all"), now=NOW)
    recent = await draft_broadcast(
        database, clinic_id, STAFF, body="Hi", audience=Audience("done", 7), now=NOW
    )
    assert [m.patient_id for m in recent.reach.recipients] == [patients[0].id]
    draft = await draft_broadcast(
        database,
        clinic_id,
        STAFF,
        body="Hi",
        audience=Audience("all"),
        now=NOW,
        replaces=recent.broadcast.id,
    )
    assert len(draft.reach.recipients) == 3
    broadcast_id = draft.broadcast.id
    other = await confirm_broadcast(
        database, clinic_id, broadcast_id, OTHER_STAFF, language="en", now=NOW
    )
    assert other.kind == "not_allowed"
    first = await confirm_broadcast(
        database, clinic_id, broadcast_id, STAFF, language="en", now=NOW
    )
    again = await confirm_broadcast(
        database, clinic_id, broadcast_id, STAFF, language="en", now=NOW
    )
    assert (first.kind, again.kind) == ("queued", "out_of_date")
    replaced = await confirm_broadcast(
        database, clinic_id, recent.broadcast.id, STAFF, language="en", now=NOW
    )
    assert replaced.kind == "out_of_date"
    async with database.unit_of_work() as uow:
        rows = [
            m
            for p in patients
            for m in await uow.outbox.pending_for_patient(p.id, kind=OutboxKind.BROADCAST)
        ]
    assert len(rows) == 3
    assert {row.payload["clinic_id"] for row in rows} == {clinic_id}
    assert await cancel_broadcast(database, clinic_id, broadcast_id, OTHER_STAFF, NOW) is None
    stopped = await cancel_broadcast(database, clinic_id, broadcast_id, STAFF, NOW)
    assert stopped is not None
    assert stopped.state is BroadcastState.CANCELLED
    report = await clinic_stats(database, clinic_id, STAFF, NOW)
    assert report.stats.members == 3
    assert [b.id for b in report.broadcasts][:1] == [broadcast_id]


async def test_a_guidance_change_replans_members_and_is_marked_done(database: Database) -> None:
    aurora = await create_clinic(
        database, "Aurora", timezone="Europe/Berlin", contact=None, booking_url=None, now=NOW
    )
    clinic_id = aurora.clinic.id
    await redeem_invite(database, aurora.invite.code, STAFF, NOW)
    member, outsider = await _patient(database, 1001), await _patient(database, 1002)
    await open_join_link(database, member.id, aurora.clinic.join_code, NOW)
    for patient in (member, outsider):
        await log_treatment(database, patient, Procedure.BOTOX, date(2026, 11, 20), NOW)

    stale = await change_rule(
        database,
        clinic_id,
        STAFF,
        after=Procedure.BOTOX,
        then=Procedure.MICRONEEDLING,
        value=21,
        reason="r",
        expected_version=5,
        now=NOW,
    )
    assert stale.kind == "out_of_date"
    stranger = await change_rule(
        database,
        clinic_id,
        OTHER_STAFF,
        after=Procedure.BOTOX,
        then=Procedure.MICRONEEDLING,
        value=21,
        reason="r",
        expected_version=0,
        now=NOW,
    )
    assert stranger.kind == "not_allowed"
    changed = await change_rule(
        database,
        clinic_id,
        STAFF,
        after=Procedure.BOTOX,
        then=Procedure.MICRONEEDLING,
        value=21,
        reason="r",
        expected_version=0,
        now=NOW,
    )
    assert (changed.kind, changed.members) == ("changed", 1)
    assert await unfinished_replans(database) == [(clinic_id, 1)]
    done = await replan_after_change(database, clinic_id, STAFF, 1, NOW)
    assert (done.members, done.moved) == (1, 1)
    assert await unfinished_replans(database) == []
    async with database.unit_of_work() as uow:
        keys = {
            p.id: {m.dedupe_key for m in await uow.outbox.pending_for_patient(p.id)}
            for p in (member, outsider)
        }
    assert "may_book:microneedling:20261211" in keys[member.id]
    assert "may_book:microneedling:20261204" in keys[outsider.id]


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(database: Database) -> None:
    aurora = await create_clinic(
        database, "Aurora", timezone="Europe/Berlin", contact=None, booking_url=None, now=NOW
    )
    clinic_id = aurora.clinic.id
    async with database.unit_of_work() as uow:
        for user in (STAFF, OTHER_STAFF):
            await uow.clinics.add_staff(clinic_id, user, now=NOW, role=StaffRole.OWNER)
        await uow.commit()
    results = await asyncio.gather(
        set_member_role(database, clinic_id, STAFF, StaffRole.STAFF, OTHER_STAFF, NOW),
        set_member_role(database, clinic_id, OTHER_STAFF, StaffRole.STAFF, STAFF, NOW),
        return_exceptions=True,
    )
    # One wins; the other finds itself no longer an owner, or the last owner in its way.
    assert results.count("done") == 1, results
    loser = next(result for result in results if result != "done")
    assert loser == "last_owner" or isinstance(loser, NotOwnerError), results
    async with database.unit_of_work() as uow:
        owners = await uow.clinics.owners(clinic_id)
    assert len(owners) == 1


async def test_team_changes_are_for_owners_and_are_audited(database: Database) -> None:
    aurora = await create_clinic(
        database, "Aurora", timezone="Europe/Berlin", contact=None, booking_url=None, now=NOW
    )
    clinic_id = aurora.clinic.id
    first = await redeem_invite(database, aurora.invite.code, STAFF, NOW, display_name="Ana")
    assert (first.kind, first.role, first.owners) == ("accepted", StaffRole.OWNER, ())
    invite = await create_invite(database, clinic_id, StaffRole.STAFF, STAFF, NOW)
    second = await redeem_invite(database, invite.code, OTHER_STAFF, NOW, display_name="Alba")
    assert second.role is StaffRole.STAFF
    assert [owner.display_name for owner in second.owners] == ["Ana"]

    for attempt in (
        create_invite(database, clinic_id, StaffRole.OWNER, OTHER_STAFF, NOW),
        remove_member(database, clinic_id, STAFF, OTHER_STAFF, NOW),
        rotate_join_link(database, clinic_id, OTHER_STAFF, NOW),
        team(database, clinic_id, OTHER_STAFF, NOW),
    ):
        with pytest.raises(NotOwnerError):
            await attempt
    with pytest.raises(NotStaffError):
        await team(database, clinic_id, 999, NOW)
    found = await team(database, clinic_id, STAFF, NOW)
    assert [m.telegram_user_id for m in found.members] == [STAFF, OTHER_STAFF]
    assert found.invites == ()
    assert (await remove_member(database, clinic_id, OTHER_STAFF, STAFF, NOW)).kind == "done"
    assert (await remove_member(database, clinic_id, OTHER_STAFF, STAFF, NOW)).kind == "not_staff"
    async with database.unit_of_work() as uow:
        actions = [entry.action for entry in await uow.audit.for_clinic(clinic_id)]
    assert actions.count("staff.invite_redeemed") == 2
    assert "staff.removed" in actions
