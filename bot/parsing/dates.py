"""Typed dates: strict numeric forms first, weekdays, then dateparser for the rest."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import dateparser


class DateNotUnderstoodError(ValueError):
    """The text does not read as a date."""


class ImpossibleDateError(ValueError):
    """The text names a date that does not exist, such as 31.02.2026."""


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?$")

_WEEKDAYS: dict[str, int] = {
    # English
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
    # Spanish (with and without accents, since phones often drop them)
    "lunes": 0, "martes": 1, "miércoles": 2, "miercoles": 2, "jueves": 3, "viernes": 4,
    "sábado": 5, "sabado": 5, "domingo": 6,
}  # fmt: skip
_NEXT_WORDS = ("next", "this", "on", "el próximo", "el proximo", "próximo", "proximo", "este", "el")
_LAST_WORDS = ("last", "el pasado", "pasado")


def _numeric(text: str, today: date, day_first: bool) -> date | None:
    if match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
        return _build(year, month, day, text)
    if match := _NUMERIC.match(text):
        first, second, year_text = match.groups()
        day, month = (int(first), int(second)) if day_first else (int(second), int(first))
        year = today.year if year_text is None else int(year_text)
        if year_text is not None and len(year_text) == 2:
            year += 2000
        return _build(year, month, day, text)
    return None


def _build(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ImpossibleDateError(text) from None


def _weekday(text: str, today: date) -> date | None:
    # dateparser does not read "next friday"; a patient planning a visit often writes it.
    for suffix in _LAST_WORDS:
        name = text.removesuffix(" " + suffix).removeprefix(suffix + " ").strip()
        if name != text and name in _WEEKDAYS:
            back = (today.weekday() - _WEEKDAYS[name]) % 7 or 7
            return today - timedelta(days=back)
    name = text
    for prefix in _NEXT_WORDS:
        if name.startswith(prefix + " "):
            name = name.removeprefix(prefix + " ").strip()
            break
    if name in _WEEKDAYS:
        ahead = (_WEEKDAYS[name] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    return None


def parse_date(text: str, *, today: date, language: str, day_first: bool = True) -> date:
    """Read a typed date relative to `today`; raise if it is not a date or does not exist."""
    cleaned = " ".join(text.strip().lower().split()).rstrip(".!")
    if not cleaned or len(cleaned) > 60:
        raise DateNotUnderstoodError(text)
    found = _numeric(cleaned, today, day_first) or _weekday(cleaned, today)
    if found is not None:
        return found
    languages = [language] if language == "en" else [language, "en"]
    # dateparser works on naive datetimes; this is noon of the patient's local `today`.
    relative_base = datetime(today.year, today.month, today.day, 12, 0)  # noqa: DTZ001
    parsed = dateparser.parse(
        cleaned,
        languages=languages,
        settings={
            "DATE_ORDER": "DMY" if day_first else "MDY",
            "RELATIVE_BASE": relative_base,
            "PREFER_DATES_FROM": "current_period",
            "REQUIRE_PARTS": ["day", "month"],
        },
    )
    if parsed is None:
        raise DateNotUnderstoodError(text)
    return parsed.date()
