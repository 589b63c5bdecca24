"""Typed procedure names and the ids they map to."""

from __future__ import annotations

import pytest

from rules import Procedure, UnknownProcedureError, parse_procedure


def test_procedure_ids_are_the_stored_values() -> None:
    assert [p.value for p in Procedure] == ["botox", "microneedling"]


@pytest.mark.parametrize(
    "typed",
    [
        "botox",
        "Botox",
        "  BOTOX ",
        "Dysport",
        "Xeomin",
        "tox",
        "neurotoxin",
        "Neuromodulator",
        "bótox",
        "BÓTOX",
    ],
)
def test_botox_brand_and_slang_names_mean_botox(typed: str) -> None:
    assert parse_procedure(typed) is Procedure.BOTOX


@pytest.mark.parametrize(
    "typed",
    [
        "microneedling",
        "Micro-needling",
        "micro needling",
        "MICRO - NEEDLING",
        "Collagen Induction Therapy",
        "collagen-induction therapy",
        "dermapen",
        "Derma Pen",
    ],
)
def test_microneedling_names_mean_microneedling(typed: str) -> None:
    assert parse_procedure(typed) is Procedure.MICRONEEDLING


@pytest.mark.parametrize("typed", ["laser", "", "   ", "botox2", "needling"])
def test_an_unknown_name_is_an_error_listing_the_known_procedures(typed: str) -> None:
    with pytest.raises(UnknownProcedureError) as caught:
        parse_procedure(typed)
    assert caught.value.known == (Procedure.BOTOX, Procedure.MICRONEEDLING)
    assert "botox, microneedling" in str(caught.value)
    assert caught.value.text == typed


def test_unknown_procedure_error_is_a_value_error() -> None:
    assert issubclass(UnknownProcedureError, ValueError)
