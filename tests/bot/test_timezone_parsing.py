"""Typed cities and zone names become IANA time zones."""

from __future__ import annotations

import pytest

from bot.parsing.timezones import resolve_timezone


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("Kathmandu", "Asia/Kathmandu"),
        ("Lord Howe", "Australia/Lord_Howe"),
        ("Ciudad de México", "America/Mexico_City"),
        ("Madrid", "Europe/Madrid"),
        ("UTC", "UTC"),
    ],
)
def test_reads_cities_and_zone_names(text: str, zone: str) -> None:
    assert resolve_timezone(text) == zone


@pytest.mark.parametrize("text", ["", "Atlantis", "x" * 200, "Mars/Olympus"])
def test_unknown_places_are_not_guessed(text: str) -> None:
    assert resolve_timezone(text) is None
