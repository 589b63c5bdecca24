"""Translations: gettext catalogs (Babel .po files) per language, and locale-aware dates."""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Literal

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

Language = Literal["en", "es"]
DEFAULT_LANGUAGE: Language = "en"
SUPPORTED_LANGUAGES: tuple[Language, ...] = ("en", "es")
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def normalise_language(code: str | None) -> str:
    """Map a Telegram `language_code` such as `es-MX` to a language we support."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


@cache
def _catalog(language: str) -> NullTranslations:
    # Each area of the bot keeps its own .po file (onboarding.po, treatments.po, ...) so that
    # parallel work never edits one shared catalog; they are merged here. The .po files are
    # the source of truth, compiled in memory at first use: no build step, no stale .mo.
    translations: NullTranslations = NullTranslations()
    if language == DEFAULT_LANGUAGE:
        return translations
    folder = resources.files("bot") / "locales" / language / "LC_MESSAGES"
    for po in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if not po.name.endswith(".po"):
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        loaded = Translations(fp=buffer)
        if isinstance(translations, Translations):
            translations.merge(loaded)
        else:
            translations = loaded
    return translations


class Translator:
    """gettext for one language, plus the date formats of its locale."""

    def __init__(self, language: str | None) -> None:
        self.language = normalise_language(language)
        self._translations = _catalog(self.language)

    def gettext(self, message: str) -> str:
        """Translate `message`."""
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate with the plural form that fits `n`."""
        return self._translations.ngettext(singular, plural, n)

    def short_date(self, day: date) -> str:
        """`20 Nov` / `20 nov`: a date in the current year, short."""
        return str(format_date(day, format="d MMM", locale=self.language))

    def long_date(self, day: date) -> str:
        """`Fri, 20 Nov 2026`: a date with weekday and year."""
        return str(format_date(day, format="EEE, d MMM y", locale=self.language))

    def month_title(self, day: date) -> str:
        """`November 2026`: the title of a calendar month."""
        return str(format_date(day, format="LLLL y", locale=self.language)).capitalize()


@cache
def translator(language: str | None) -> Translator:
    """The shared Translator for a language code."""
    return Translator(language)
