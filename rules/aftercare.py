"""Aftercare notes as data: the shipped defaults per procedure, and a clinic's own note.

The defaults live in `aftercare.json` beside the spacing guidance: each line has its text
in every language the bot speaks, its source and an evidence grade (`Evidence`, as the
spacing rules have). A clinic may replace a procedure's note with its own text or extend
the defaults with it (`ClinicAftercare`); `compose` gives what a patient reads. The clinic's
text is theirs, in the language they wrote it: it is shown as written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from rules.guidance import Evidence, GuidanceError
from rules.procedures import Procedure

AFTERCARE_FILE = "aftercare.json"
AFTERCARE_FORMAT = 1
# The language every line must have; others are optional and fall back to it.
BASE_LANGUAGE = "en"
MAX_CLINIC_TEXT = 1500
"""A clinic's own note, at most: with the defaults and the prompt it stays one message."""


class AftercareMode(StrEnum):
    """How a clinic's note relates to the defaults."""

    REPLACE = "replace"
    EXTEND = "extend"


@dataclass(frozen=True, slots=True)
class AftercareLine:
    """One piece of advice: its text per language, where it comes from, how strong it is."""

    text: Mapping[str, str]
    source: str
    evidence: Evidence

    def in_language(self, language: str) -> str:
        """The text in `language`, or in English when there is no translation."""
        return self.text.get(language) or self.text[BASE_LANGUAGE]


@dataclass(frozen=True, slots=True)
class ClinicAftercare:
    """A clinic's own aftercare text for one procedure, replacing or extending the defaults."""

    procedure: Procedure
    mode: AftercareMode
    text: str

    def __post_init__(self) -> None:
        if not self.text.strip() or len(self.text) > MAX_CLINIC_TEXT:
            raise GuidanceError(f"a clinic's aftercare note has 1 to {MAX_CLINIC_TEXT} characters")


@dataclass(frozen=True, slots=True)
class AftercareNote:
    """What a patient reads after a procedure: default lines, then the clinic's text."""

    procedure: Procedure
    lines: tuple[AftercareLine, ...]
    clinic_text: str | None


def compose(
    procedure: Procedure,
    defaults: Mapping[Procedure, tuple[AftercareLine, ...]],
    clinic: ClinicAftercare | None,
) -> AftercareNote | None:
    """The note for `procedure`; None when there is nothing to say."""
    lines = defaults.get(procedure, ())
    if clinic is not None and clinic.procedure is procedure:
        kept = () if clinic.mode is AftercareMode.REPLACE else lines
        return AftercareNote(procedure, kept, clinic.text.strip())
    return AftercareNote(procedure, lines, None) if lines else None


def _line(raw: object, where: str) -> AftercareLine:
    if not isinstance(raw, Mapping) or set(raw) != {"text", "source", "evidence"}:
        raise GuidanceError(f"{where}: expected an object with exactly text, source, evidence")
    text = raw["text"]
    if (
        not isinstance(text, Mapping)
        or not all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in text.items())
        or BASE_LANGUAGE not in text
    ):
        raise GuidanceError(f"{where}: text must map languages to non-empty text, with 'en'")
    source = raw["source"]
    if not isinstance(source, str) or not source.strip():
        raise GuidanceError(f"{where}: source must be non-empty text")
    try:
        evidence = Evidence(raw["evidence"])
    except ValueError:
        grades = ", ".join(e.value for e in Evidence)
        raise GuidanceError(f"{where}: evidence must be one of {grades}") from None
    return AftercareLine(text=dict(text), source=source, evidence=evidence)


def parse_aftercare(
    data: object, *, origin: str = AFTERCARE_FILE
) -> dict[Procedure, tuple[AftercareLine, ...]]:
    """Validate aftercare data shaped like `aftercare.json`; lines by procedure."""
    if not isinstance(data, Mapping) or set(data) != {"format", "notes"}:
        raise GuidanceError(f"{origin}: expected an object with exactly 'format' and 'notes'")
    if data["format"] != AFTERCARE_FORMAT:
        raise GuidanceError(f"{origin}: format {data['format']!r} is not {AFTERCARE_FORMAT}")
    notes = data["notes"]
    if not isinstance(notes, list):
        raise GuidanceError(f"{origin}: 'notes' must be a list")
    found: dict[Procedure, tuple[AftercareLine, ...]] = {}
    for i, note in enumerate(notes):
        where = f"{origin}: notes[{i}]"
        if not isinstance(note, Mapping) or set(note) != {"procedure", "lines"}:
            raise GuidanceError(f"{where}: expected an object with exactly procedure and lines")
        try:
            procedure = Procedure(note["procedure"])
        except ValueError:
            raise GuidanceError(f"{where}: unknown procedure {note['procedure']!r}") from None
        if procedure in found:
            raise GuidanceError(f"{where}: a second note for {procedure}")
        lines = note["lines"]
        if not isinstance(lines, list) or not lines:
            raise GuidanceError(f"{where}: 'lines' must be a non-empty list")
        found[procedure] = tuple(_line(line, f"{where}.lines[{j}]") for j, line in enumerate(lines))
    return found


@lru_cache(maxsize=1)
def default_aftercare() -> Mapping[Procedure, tuple[AftercareLine, ...]]:
    """The shipped aftercare lines by procedure, loaded and validated once."""
    text = resources.files("rules").joinpath(AFTERCARE_FILE).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GuidanceError(f"{AFTERCARE_FILE}: not valid JSON ({exc})") from None
    return parse_aftercare(data)
