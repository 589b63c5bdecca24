"""Handlers only translate: no texts, no keyboards, no database sessions, and short modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bot
from bot import buttons  # registers every button class
from bot.callbacks import registered

HANDLERS = sorted((Path(bot.__file__).parent / "handlers").glob("*.py"))
MAX_LINES = 300


@pytest.mark.parametrize("module", HANDLERS, ids=lambda path: path.stem)
def test_a_handler_module_stays_short_and_leaves_texts_keyboards_and_sql_to_others(
    module: Path,
) -> None:
    source = module.read_text()
    assert len(source.splitlines()) <= MAX_LINES, f"{module.name} is over {MAX_LINES} lines"
    names = {
        node.attr if isinstance(node, ast.Attribute) else node.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute | ast.Name)
    }
    assert not names & {"gettext", "ngettext"}, "texts belong in bot/render/"
    assert "InlineKeyboardButton" not in names, "keyboards belong in bot/render/"
    assert "unit_of_work" not in names, "a use-case opens the unit of work"


def test_every_button_prefix_is_documented_in_the_one_list() -> None:
    documented = buttons.__doc__ or ""
    for cls in registered():
        assert f"`{cls.prefix}`" in documented, f"{cls.__name__} ({cls.prefix}) is not listed"
