"""Clinic use-cases on SQLite and PostgreSQL: joining, invites, broadcasts, guidance changes."""

from __future__ import annotations

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
from bot.usecases.team import redeem_invite
from bot.usecases.guidance import change_rule, replan_after_change, unfinished_replans
from bot.usecases.treatments import log_treatment
from rules import Procedure
from storage.database import Database
from storage.records import BroadcastState, OutboxKind, Patient

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
