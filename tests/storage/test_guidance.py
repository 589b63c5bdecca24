"""A clinic's guidance overrides, versioned."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from rules import Procedure, RuleOverride, apply_overrides, default_guidance
from storage.database import Database
from storage.guidance import UnknownClinicError
from tests.storage.factories import NOW, make_clinic

BOTOX, NEEDLING = Procedure.BOTOX, Procedure.MICRONEEDLING


async def test_a_new_clinic_follows_the_defaults_at_version_zero(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        current = await uow.guidance.current(clinic.id)
    assert (current.version, current.overrides) == (0, ())


async def test_each_change_is_a_new_version_with_old_and_new_days(database: Database) -> None:
    later = NOW + timedelta(hours=1)
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        first = await uow.guidance.set_override(
            clinic.id, BOTOX, NEEDLING, 21, changed_by=500, reason="our protocol", now=NOW
        )
        second = await uow.guidance.set_override(
            clinic.id, BOTOX, NEEDLING, None, changed_by=501, reason="paused", now=later
        )
        current = await uow.guidance.current(clinic.id)
        history = await uow.guidance.history(clinic.id)
        refreshed = await uow.clinics.get(clinic.id)
    assert (first.version, first.old_default, first.old_days, first.new_days) == (1, True, None, 21)
    assert (second.version, second.old_default, second.old_days, second.new_days) == (
        2,
        False,
        21,
        None,
    )
    assert history == [second, first]
    assert current.version == 2
    (override,) = current.overrides
    assert (override.after, override.then, override.min_days) == (BOTOX, NEEDLING, None)
    assert refreshed is not None
    assert refreshed.guidance_version == 2


async def test_reset_returns_a_rule_to_the_default(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        assert (
            await uow.guidance.reset_override(
                clinic.id, BOTOX, NEEDLING, changed_by=1, reason="-", now=NOW
            )
            is None
        )
        await uow.guidance.set_override(
            clinic.id, BOTOX, NEEDLING, 30, changed_by=1, reason="a", now=NOW
        )
        change = await uow.guidance.reset_override(
            clinic.id, BOTOX, NEEDLING, changed_by=1, reason="b", now=NOW
        )
        current = await uow.guidance.current(clinic.id)
    assert change is not None
    assert (change.old_days, change.new_default, change.version) == (30, True, 2)
    assert current.overrides == ()
    assert current.version == 2


async def test_overrides_feed_the_rules_engine(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        await uow.guidance.set_override(
            clinic.id, BOTOX, NEEDLING, 28, changed_by=1, reason="r", now=NOW
        )
        current = await uow.guidance.current(clinic.id)
    guidance = apply_overrides(
        default_guidance(),
        [RuleOverride(o.after, o.then, o.min_days) for o in current.overrides],
        current.version,
    )
    rule = guidance.rule_for(BOTOX, NEEDLING)
    assert rule is not None
    assert rule.min_days == 28


async def test_guidance_of_one_clinic_leaves_another_alone(database: Database) -> None:
    async with database.unit_of_work() as uow:
        mine, theirs = await make_clinic(uow), await make_clinic(uow)
        await uow.guidance.set_override(
            mine.id, BOTOX, NEEDLING, 28, changed_by=1, reason="r", now=NOW
        )
        other = await uow.guidance.current(theirs.id)
        assert await uow.guidance.history(theirs.id) == []
    assert (other.version, other.overrides) == (0, ())


async def test_an_unknown_clinic_has_no_guidance(database: Database) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(UnknownClinicError):
            await uow.guidance.current(404)
        with pytest.raises(UnknownClinicError):
            await uow.guidance.set_override(
                404, BOTOX, NEEDLING, 1, changed_by=1, reason="r", now=NOW
            )


async def test_concurrent_changes_get_distinct_versions(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        await uow.commit()

    async def change(days: int) -> int:
        async with database.unit_of_work() as uow:
            made = await uow.guidance.set_override(
                clinic.id, NEEDLING, BOTOX, days, changed_by=days, reason="r", now=NOW
            )
            await uow.commit()
            return made.version

    versions = await asyncio.gather(*(change(days) for days in range(1, 5)))
    assert sorted(versions) == [1, 2, 3, 4]
