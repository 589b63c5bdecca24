"""Print every gettext string in bot/ that has no Spanish entry yet, as .po stubs to fill in.

Run: .venv/bin/python scripts/untranslated_strings.py >> bot/locales/es/LC_MESSAGES/AREA.po
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

KEYWORDS = {"gettext": None, "ngettext": (1, 2), "_": None}
# Python code, and the dashboard's Jinja2 templates (their `_()` and `ngettext()` calls).
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]


def _quote(text: str) -> str:
    lines = text.split("\n")
    if len(lines) == 1 and len(text) < 70:
        return '"' + text.replace('"', '\\"') + '"'
    parts = ['""']
    for index, line in enumerate(lines):
        newline = "\\n" if index < len(lines) - 1 else ""
        parts.append('"' + line.replace('"', '\\"') + newline + '"')
    return "\n".join(parts)


def main() -> None:
    """Print the stubs."""
    translated: set[str] = set()
    for po in Path("bot/locales/es/LC_MESSAGES").glob("*.po"):
        with po.open("rb") as handle:
            for message in read_po(handle, locale="es"):
                if message.id:
                    msgid = message.id
                    translated.add(msgid[0] if isinstance(msgid, tuple) else msgid)
    seen: set[str] = set()
    for filename, lineno, message, _comments, _context in extract_from_dir(
        "bot", method_map=METHODS, keywords=KEYWORDS
    ):
        key = message[0] if isinstance(message, tuple) else message
        if key in translated or key in seen:
            continue
        seen.add(key)
        print(f"# {filename}:{lineno}")
        if isinstance(message, tuple):
            print("msgid " + _quote(message[0]))
            print("msgid_plural " + _quote(message[1]))
            print('msgstr[0] ""\nmsgstr[1] ""\n')
        else:
            print("msgid " + _quote(message) + '\nmsgstr ""\n')


if __name__ == "__main__":
    main()
