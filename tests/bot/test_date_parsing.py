"""Typed dates: the forms patients use, in English and Spanish."""

from __future__ import annotations

from datetime import date

import pytest

from bot.parsing.dates import DateNotUnderstoodError, ImpossibleDateError, parse_date

TODAY = date(2026, 11, 24)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("2026-11-20", "en", date(2026, 11, 20)),
        ("20.11.2026", "en", date(2026, 11, 20)),
        ("20/11/2026", "en", date(2026, 11, 20)),
        ("20/11/26", "en", date(2026, 11, 20)),
        ("20.11", "en", date(2026, 11, 20)),
        ("20 Nov", "en", date(2026, 11, 20)),
        ("10 dec", "en", date(2026, 12, 10)),
        ("yesterday", "en", date(2026, 11, 23)),
        ("today", "en", date(2026, 11, 24)),
        ("3 days ago", "en", date(2026, 11, 21)),
        ("in 2 weeks", "en", date(2026, 12, 8)),
        ("next friday", "en", date(2026, 11, 27)),
        ("Friday", "en", date(2026, 11, 27)),
        ("next tuesday", "en", date(2026, 12, 1)),
        ("last friday", "en", date(2026, 11, 20)),
        ("ayer", "es", date(2026, 11, 23)),
        ("hace 3 días", "es", date(2026, 11, 21)),
        ("20 de noviembre", "es", date(2026, 11, 20)),
        ("el próximo viernes", "es", date(2026, 11, 27)),
        ("20/11/2026", "es", date(2026, 11, 20)),
        ("yesterday", "es", date(2026, 11, 23)),
    ],
)
def test_reads_the_forms_patients_type(text: str, language: str, expected: date) -> None:
    assert parse_date(text, today=TODAY, language=language) == expected


def test_reads_month_first_when_the_locale_says_so() -> None:
    assert parse_date("11/20/2026", today=TODAY, language="en", day_first=False) == date(
        2026, 11, 20
    )


@pytest.mark.parametrize("text", ["31.02.2026", "2026-02-30", "32/01/2026", "29.02.2027"])
def test_an_impossible_date_is_named_as_impossible(text: str) -> None:
    with pytest.raises(ImpossibleDateError):
        parse_date(text, today=TODAY, language="en")


@pytest.mark.parametrize("text", ["", "banana", "x" * 500, "botox", "at some point"])
def test_text_that_is_no_date_is_not_understood(text: str) -> None:
    with pytest.raises(DateNotUnderstoodError):
        parse_date(text, today=TODAY, language="en")
