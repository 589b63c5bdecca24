"""A typed city or IANA zone name → an IANA time zone."""

from __future__ import annotations

import unicodedata
from functools import cache
from zoneinfo import available_timezones

# Cities people type that are not the name of their zone.
_ALIASES = {
    "new york city": "America/New_York",
    "nyc": "America/New_York",
    "nueva york": "America/New_York",
    "miami": "America/New_York",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "la": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "ciudad de mexico": "America/Mexico_City",
    "mexico": "America/Mexico_City",
    "cdmx": "America/Mexico_City",
    "barcelona": "Europe/Madrid",
    "sevilla": "Europe/Madrid",
    "valencia": "Europe/Madrid",
    "munich": "Europe/Berlin",
    "munchen": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "londres": "Europe/London",
    "manchester": "Europe/London",
    "milan": "Europe/Rome",
    "bogota": "America/Bogota",
    "buenos aires": "America/Argentina/Buenos_Aires",
    "melbourne": "Australia/Melbourne",
    "uk": "Europe/London",
    "utc": "UTC",
    "gmt": "Etc/GMT",
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("_", " ").replace("-", " ").lower().split())


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if zone.startswith(("Etc/", "SystemV/")) or "/" not in zone:
            continue
        index.setdefault(_fold(zone), zone)
        index.setdefault(_fold(zone.rsplit("/", 1)[-1]), zone)
    for alias, zone in _ALIASES.items():
        index[_fold(alias)] = zone
    return index


def resolve_timezone(text: str) -> str | None:
    """The IANA zone for a city ("Berlin", "new york") or zone name, or None."""
    folded = _fold(text)
    if not folded or len(folded) > 64:
        return None
    for zone in available_timezones():
        if zone.lower() == text.strip().lower():
            return zone
    return _index().get(folded)
