"""Every user-facing string has a Spanish translation, and the catalogs parse."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import bot
from bot.i18n import translator

BOT_DIR = Path(bot.__file__).parent
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "_": None}
# Python code, and the dashboard's Jinja2 templates (their `_()` and `ngettext()` calls).
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]


def _extracted() -> set[str]:
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(BOT_DIR), method_map=METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _spanish() -> dict[str, bool]:
    translated: dict[str, bool] = {}
    for po in sorted((BOT_DIR / "locales" / "es" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle, locale="es"):
                if message.id:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    translated[key] = bool(message.string) and all(
                        message.string if isinstance(message.string, tuple) else [message.string]
                    )
    return translated


def test_every_user_facing_string_has_a_spanish_translation() -> None:
    spanish = _spanish()
    missing = sorted(m for m in _extracted() if not spanish.get(m))
    assert not missing, "untranslated strings:\n" + "\n".join(missing)


def test_spanish_translations_keep_every_placeholder() -> None:
    placeholder = re.compile(r"\{[a-z_]+\}")
    for po in sorted((BOT_DIR / "locales" / "es" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle, locale="es"):
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                expected = set(placeholder.findall(ids[-1]))
                for string in strings:
                    assert set(placeholder.findall(string)) == expected, (po.name, message.id)


def test_a_spanish_speaker_reads_spanish() -> None:
    assert translator("es-MX").gettext("Botox") == "bótox"
    assert translator("fr").language == "en"
