"""Hypothesis strategies for histories, guidance sets and planner settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from rules import Entry, GuidanceSet, Procedure, RuleOverride, apply_overrides, default_guidance

BASE_DAY = date(2026, 1, 1)
PAIRS = [(a, b) for a in Procedure for b in Procedure]
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]

procedures = st.sampled_from(list(Procedure))
todays = st.integers(0, 3 * 365).map(lambda n: BASE_DAY + timedelta(days=n))


@st.composite
def histories(draw: st.DrawFn, today: date, max_size: int = 10) -> list[Entry]:
    """Done and planned entries around `today`, sometimes on the same day."""
    offsets = st.integers(-200, 200)
    size = draw(st.integers(0, max_size))
    return [
        Entry(draw(procedures), today + timedelta(days=draw(offsets)), ref=f"r{i}")
        for i in range(size)
    ]


@st.composite
def guidance_sets(draw: st.DrawFn) -> GuidanceSet:
    """The defaults with each rule kept, changed (0..120 days) or switched off."""
    overrides = []
    for after, then in PAIRS:
        choice = draw(st.one_of(st.just("keep"), st.none(), st.integers(0, 120)))
        if choice != "keep":
            overrides.append(RuleOverride(after, then, choice))  # type: ignore[arg-type]
    return apply_overrides(default_guidance(), overrides, version=draw(st.integers(1, 9)))


@st.composite
def nows(draw: st.DrawFn, today: date) -> datetime:
    """An instant near `today` (UTC), to the minute."""
    minutes = draw(st.integers(-36 * 60, 36 * 60))
    return datetime(today.year, today.month, today.day, 12, tzinfo=UTC) + timedelta(minutes=minutes)
