"""Telegram's HTML parsing and bot_command entities, checked without HTTP."""

from __future__ import annotations

import pytest

from sandbox.errors import ApiError
from sandbox.formatting import bot_command_entities, format_text, utf16_length


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba>", 'Can\'t find end tag corresponding to start tag "i"'),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        (
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_malformed_html_fails_with_telegrams_words(html: str, reason: str) -> None:
    with pytest.raises(ApiError) as error:
        format_text(html, "HTML")

    assert error.value.error_code == 400
    assert error.value.description == f"Bad Request: can't parse entities: {reason}"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("&ge;&lt;&gt;&amp;&quot;&laquo;&#12345678;", '&ge;<>&"&laquo;&#12345678;'),
        ("&lt no semicolon", "< no semicolon"),
        ("&#65;&#x42;", "AB"),
        ("Fish & chips", "Fish & chips"),
        ("🏟 🏟&lt;<i>a</    >", "🏟 🏟<a"),
        ("<b aba   =   caba>bold</b>", "bold"),
    ],
)
def test_entities_decode_like_telegram(html: str, text: str) -> None:
    assert format_text(html, "HTML").text == text


def test_entity_offsets_count_utf16_code_units() -> None:
    formatted = format_text("➡️ ➡️<i>➡️ ➡️</i><b>x</b>", "HTML")

    assert formatted.entities == [
        {"offset": 5, "length": 5, "type": "italic"},
        {"offset": 10, "length": 1, "type": "bold"},
    ]


def test_links_code_blocks_and_spoilers_become_entities() -> None:
    formatted = format_text(
        '<a href="https://t.me/x">link</a> <pre><code class="language-py">x=1</code></pre> '
        "<tg-spoiler>s</tg-spoiler> <blockquote expandable>q</blockquote>",
        "HTML",
    )

    assert formatted.text == "link x=1 s q"
    assert [entity["type"] for entity in formatted.entities] == [
        "text_link",
        "pre",
        "spoiler",
        "expandable_blockquote",
    ]
    assert formatted.entities[0]["url"] == "https://t.me/x"
    assert formatted.entities[1]["language"] == "py"


def test_text_without_parse_mode_is_taken_as_is() -> None:
    assert format_text("<b>not bold</b>", None).text == "<b>not bold</b>"


def test_an_unknown_parse_mode_is_refused() -> None:
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        format_text("x", "BBCode")


@pytest.mark.parametrize(
    ("text", "commands"),
    [
        ("/start", ["/start"]),
        ("/start abc_123", ["/start"]),
        ("/next@interval_test_bot", ["/next@interval_test_bot"]),
        ("see /help or /settings", ["/help", "/settings"]),
        ("no command and a/path/here", []),
    ],
)
def test_commands_get_bot_command_entities(text: str, commands: list[str]) -> None:
    entities = bot_command_entities(text)

    assert [text[e["offset"] : e["offset"] + e["length"]] for e in entities] == commands
    assert all(entity["type"] == "bot_command" for entity in entities)


def test_utf16_length_counts_surrogate_pairs_twice() -> None:
    assert utf16_length("a🏟") == 3
