"""The overview's figures, counted by storage's aggregate queries, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.usecases import patients
from bot.usecases.clinics import create_clinic
from bot.usecases.dashboard import CHART_WEEKS, overview
from storage.dashboard import BOOKED_ACTION
from storage.database import Database
from storage.models import OutboxRow
from storage.records import ActorKind, PatientState, StaffRole

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
OWNER = 77


async def _clinic_with_members(database: Database, count: int) -> tuple[int, list[int]]:
    created = await create_clinic(
        database, "Figures", timezone="Europe/Berlin", contact=None, booking_url=None, now=NOW
    )
    clinic_id = created.clinic.id
    ids = []
    for index in range(count):
        patient = await patients.consent(
            database,
            telegram_user_id=5000 + index,
            chat_id=5000 + index,
            language="en",
            timezone="Europe/Berlin",
            now=NOW - timedelta(days=60),
        )
        ids.append(patient.id)
    async with database.unit_of_work() as uow:
        await uow.clinics.add_staff(clinic_id, OWNER, role=StaffRole.OWNER, now=NOW)
        for weeks_ago, patient_id in enumerate(ids):
            joined = NOW - timedelta(weeks=weeks_ago, hours=1)
            await uow.clinics.join(patient_id, clinic_id, now=joined)
        await uow.commit()
    return clinic_id, ids


def _reminder(
    patient_id: int,
    key: str,
    *,
    sent_at: datetime | None,
    due_at: datetime,
    clinic_id: int | None,
) -> OutboxRow:
    return OutboxRow(
        clinic_id=clinic_id,
        kind="reminder",
        patient_id=patient_id,
        chat_id=5000,
        due_at=due_at,
        payload={},
        dedupe_key=key,
        state="sent" if sent_at else "pending",
        priority=0,
        attempts=1 if sent_at else 0,
        sent_at=sent_at,
        created_at=NOW - timedelta(days=90),
    )


async def test_the_overview_counts_members_reminders_bookings_and_eligibility(
    database: Database,
) -> None:
    clinic_id, ids = await _clinic_with_members(database, 8)
    async with database.unit_of_work() as uow:
        await uow.patients.set_state(ids[0], PatientState.PAUSED)
        await uow.patients.set_state(ids[1], PatientState.BLOCKED)
        for index, patient_id in enumerate(ids):
            # Sent while a member (joined `index` weeks ago): counted; one before (under no
            # clinic): not.
            sent = NOW - timedelta(days=index * 3)
            uow.session.add(
                _reminder(
                    patient_id,
                    f"may_book:botox:{index}",
                    sent_at=sent,
                    due_at=sent,
                    clinic_id=clinic_id,
                )
            )
            early = NOW - timedelta(weeks=index + 1)
            uow.session.add(
                _reminder(
                    patient_id,
                    f"heads_up:botox:{index}",
                    sent_at=early,
                    due_at=early,
                    clinic_id=None,
                )
            )
            soon = NOW + timedelta(days=index * 2 + 1)
            uow.session.add(
                _reminder(
                    patient_id,
                    f"may_book:microneedling:{index}",
                    sent_at=None,
                    due_at=soon,
                    clinic_id=clinic_id,
                )
            )
        for patient_id in ids[:6]:
            await uow.audit.record(
                BOOKED_ACTION,
                at=NOW - timedelta(days=1),
                actor_kind=ActorKind.PATIENT,
                clinic_id=clinic_id,
                subject_patient_id=patient_id,
            )
        await uow.commit()
    found = await overview(database, clinic_id, OWNER, NOW)
    figures = found.figures
    assert (figures.active, figures.paused, figures.blocked) == (6, 1, 1)
    # Sent at 0, 3, ..., 21 days ago: all 8 within 30 days; the "heads up" ones came before
    # each member joined and are not the clinic's.
    assert figures.reminders_30d == 8
    assert figures.booked_30d == 6
    # Due in 1, 3, 5, ..., 15 days: seven within the next 14 days.
    assert figures.eligible_14d == 7
    weekly = found.weekly
    assert len(weekly.members) == CHART_WEEKS
    assert weekly.members[-1] == 8
    assert weekly.members[-2] == 7  # the newest member joined in the last week
    assert sum(weekly.reminders) == 8
    assert sum(weekly.booked) == 6
    assert weekly.booked[-1] == 6


async def test_audience_counts_split_members_exactly_as_a_confirm_does(
    database: Database,
) -> None:
    from bot.usecases.broadcasts import _reach, count_reach
    from bot.usecases.dashboard import audiences

    clinic_id, ids = await _clinic_with_members(database, 9)
    async with database.unit_of_work() as uow:
        await uow.patients.set_state(ids[0], PatientState.PAUSED)
        await uow.patients.set_state(ids[1], PatientState.BLOCKED)
        await uow.patients.update_settings(ids[2], broadcasts_opt_out=True)
        await uow.commit()
    async with database.unit_of_work(read_only=True) as uow:
        clinic = await uow.clinics.get(clinic_id)
        assert clinic is not None
        for audience in audiences():
            listed = await _reach(uow, clinic, audience, NOW)
            counted = await count_reach(uow, clinic, audience, NOW)
            assert counted.recipients == len(listed.recipients), audience
            assert (counted.blocked, counted.paused, counted.opted_out) == (
                listed.blocked,
                listed.paused,
                listed.opted_out,
            )
        everyone = await count_reach(uow, clinic, audiences()[0], NOW)
    assert (everyone.recipients, everyone.blocked, everyone.paused, everyone.opted_out) == (
        6,
        1,
        1,
        1,
    )
