"""The shipped aftercare lines, how a clinic's own text combines with them, and bad data."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules import GuidanceError, Procedure
from rules.aftercare import (
    MAX_CLINIC_TEXT,
    AftercareMode,
    ClinicAftercare,
    compose,
    default_aftercare,
    parse_aftercare,
)


def _shipped() -> dict[str, Any]:
    text = resources.files("rules").joinpath("aftercare.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_every_procedure_ships_aftercare_in_english_and_spanish_with_a_source() -> None:
    notes = default_aftercare()
    assert set(notes) == set(Procedure)
    for lines in notes.values():
        assert lines
        for line in lines:
            assert {"en", "es"} <= set(line.text)
            assert line.source.strip()


def test_the_botox_note_carries_the_manufacturers_warning_about_spread() -> None:
    lines = default_aftercare()[Procedure.BOTOX]
    warnings = [line for line in lines if line.evidence.value == "manufacturer"]
    assert warnings
    assert "swallowing" in warnings[0].in_language("en")


def test_a_missing_translation_falls_back_to_english() -> None:
    line = default_aftercare()[Procedure.MICRONEEDLING][0]
    assert line.in_language("fr") == line.in_language("en")


def test_a_clinics_replacement_drops_the_usual_lines_and_an_extension_keeps_them() -> None:
    defaults = default_aftercare()
    replaced = compose(
        Procedure.BOTOX,
        defaults,
        ClinicAftercare(Procedure.BOTOX, AftercareMode.REPLACE, "  Our sheet.  "),
    )
    extended = compose(
        Procedure.BOTOX, defaults, ClinicAftercare(Procedure.BOTOX, AftercareMode.EXTEND, "More.")
    )
    assert replaced is not None
    assert replaced.lines == ()
    assert replaced.clinic_text == "Our sheet."
    assert extended is not None
    assert extended.lines == defaults[Procedure.BOTOX]
    assert extended.clinic_text == "More."


def test_a_clinics_note_for_one_procedure_does_not_touch_the_other() -> None:
    note = compose(
        Procedure.MICRONEEDLING,
        default_aftercare(),
        ClinicAftercare(Procedure.BOTOX, AftercareMode.REPLACE, "Botox only."),
    )
    assert note is not None
    assert note.clinic_text is None
    assert note.lines == default_aftercare()[Procedure.MICRONEEDLING]


def test_nothing_to_say_gives_no_note() -> None:
    assert compose(Procedure.BOTOX, {}, None) is None


@pytest.mark.parametrize("text", ["", "   ", "x" * (MAX_CLINIC_TEXT + 1)])
def test_a_clinic_note_that_is_empty_or_too_long_is_refused(text: str) -> None:
    with pytest.raises(GuidanceError):
        ClinicAftercare(Procedure.BOTOX, AftercareMode.EXTEND, text)


def _broken(change: str) -> dict[str, Any]:
    data = copy.deepcopy(_shipped())
    first = data["notes"][0]
    if change == "no source":
        first["lines"][0]["source"] = " "
    elif change == "no english":
        del first["lines"][0]["text"]["en"]
    elif change == "unknown grade":
        first["lines"][0]["evidence"] = "rumour"
    elif change == "unknown procedure":
        first["procedure"] = "laser"
    elif change == "twice":
        data["notes"].append(copy.deepcopy(first))
    elif change == "no lines":
        first["lines"] = []
    elif change == "extra key":
        first["lines"][0]["why"] = "because"
    elif change == "format":
        data["format"] = 2
    return data


@pytest.mark.parametrize(
    "change",
    [
        "no source",
        "no english",
        "unknown grade",
        "unknown procedure",
        "twice",
        "no lines",
        "extra key",
        "format",
    ],
)
def test_aftercare_data_with_a_mistake_is_refused_with_where_it_is(change: str) -> None:
    with pytest.raises(GuidanceError, match=r"aftercare\.json"):
        parse_aftercare(_broken(change))


def test_the_shipped_file_parses_to_what_the_bot_uses() -> None:
    assert parse_aftercare(_shipped()) == dict(default_aftercare())


@given(st.sampled_from(list(Procedure)), st.text(min_size=1, max_size=MAX_CLINIC_TEXT))
def test_any_clinic_text_is_kept_whole_apart_from_its_outer_spaces(
    procedure: Procedure, text: str
) -> None:
    if not text.strip():
        return
    note = compose(
        procedure, default_aftercare(), ClinicAftercare(procedure, AftercareMode.EXTEND, text)
    )
    assert note is not None
    assert note.clinic_text == text.strip()
