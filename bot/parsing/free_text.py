"""Free text such as "had botox yesterday" → a procedure and a date to confirm."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.parsing.dates import DateNotUnderstoodError, parse_date
from rules.procedures import Procedure, UnknownProcedureError, parse_procedure

# Words around the procedure and the date that carry no meaning for us. Date words
# ("today", "hoy", "de") are deliberately absent: the date reader needs them.
_FILLER = frozenset(
    (
        "i", "i've", "ive", "had", "have", "got", "did", "do", "my", "a", "an", "the", "on",
        "at", "for", "was", "is", "it", "will", "be", "planned", "plan", "planning", "booked",
        "book", "scheduled", "appointment", "session", "treatment", "done", "next-week",
        "el", "la", "yo", "me", "hice", "tuve", "tengo", "mi", "una", "un", "cita", "sesión",
        "sesion", "tratamiento", "planeado", "planeada", "programado", "programada", "reservado",
        "reservada", "hecho", "hecha", "para", "previsto", "prevista",
    )
)  # fmt: skip
_MAX_WORDS_IN_A_NAME = 3
_WORD = re.compile(r"[\w\-'./]+", re.UNICODE)


@dataclass(frozen=True)
class ParsedTreatment:
    """What we understood from a free-text message."""

    procedure: Procedure
    on: date


class NotATreatmentError(ValueError):
    """The text names no procedure, or no date we can read."""


def _find_procedure(words: list[str]) -> tuple[Procedure, int, int] | None:
    for size in range(_MAX_WORDS_IN_A_NAME, 0, -1):
        for start in range(len(words) - size + 1):
            try:
                return parse_procedure(" ".join(words[start : start + size])), start, size
            except UnknownProcedureError:
                continue
    return None


def parse_free_text(text: str, *, today: date, language: str) -> ParsedTreatment:
    """Read a procedure and a date from a sentence; raise NotATreatmentError if we cannot."""
    words = _WORD.findall(text.lower())
    found = _find_procedure(words)
    if found is None:
        raise NotATreatmentError(text)
    procedure, start, size = found
    rest = words[:start] + words[start + size :]
    candidates = [
        " ".join(word for word in rest if word not in _FILLER),
        " ".join(rest),
    ]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return ParsedTreatment(procedure, parse_date(candidate, today=today, language=language))
        except DateNotUnderstoodError:
            continue
    raise NotATreatmentError(text)
