"""Free-text treatment notes are read into a procedure and a date."""

from __future__ import annotations

from datetime import date

import pytest

from bot.parsing.dates import ImpossibleDateError
from bot.parsing.free_text import NotATreatmentError, ParsedTreatment, parse_free_text
from rules.procedures import Procedure

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("had botox yesterday", "en", ParsedTreatment(Procedure.BOTOX, date(2026, 11, 23))),
        ("I had Botox yesterday", "en", ParsedTreatment(Procedure.BOTOX, date(2026, 11, 23))),
        (
            "microneedling on 20.11",
            "en",
            ParsedTreatment(Procedure.MICRONEEDLING, date(2026, 11, 20)),
        ),
        ("botox planned 10 dec", "en", ParsedTreatment(Procedure.BOTOX, date(2026, 12, 10))),
        (
            "Micro-needling next friday",
            "en",
            ParsedTreatment(Procedure.MICRONEEDLING, date(2026, 11, 27)),
        ),
        ("dysport 3 days ago", "en", ParsedTreatment(Procedure.BOTOX, date(2026, 11, 21))),
        (
            "collagen induction therapy 2026-11-02",
            "en",
            ParsedTreatment(Procedure.MICRONEEDLING, date(2026, 11, 2)),
        ),
        ("me hice botox ayer", "es", ParsedTreatment(Procedure.BOTOX, date(2026, 11, 23))),
        ("me hice bótox ayer", "es", ParsedTreatment(Procedure.BOTOX, date(2026, 11, 23))),
        ("bótox previsto el 10 dic", "es", ParsedTreatment(Procedure.BOTOX, date(2026, 12, 10))),
        (
            "microneedling el 20 de noviembre",
            "es",
            ParsedTreatment(Procedure.MICRONEEDLING, date(2026, 11, 20)),
        ),
    ],
)
def test_reads_procedure_and_date_from_a_sentence(
    text: str, language: str, expected: ParsedTreatment
) -> None:
    assert parse_free_text(text, today=TODAY, language=language) == expected


@pytest.mark.parametrize(
    "text", ["hello", "what can you do?", "botox", "botox at some point", "yesterday"]
)
def test_text_without_both_a_procedure_and_a_date_is_not_a_treatment(text: str) -> None:
    with pytest.raises(NotATreatmentError):
        parse_free_text(text, today=TODAY, language="en")


def test_an_impossible_date_in_a_sentence_is_reported_as_impossible() -> None:
    with pytest.raises(ImpossibleDateError):
        parse_free_text("botox on 31.02.2026", today=TODAY, language="en")
