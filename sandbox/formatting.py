"""Text formatting the way Telegram reads it: HTML entities, lengths, bot commands.

The HTML parser follows Telegram's own (tdlib's `parse_html`) closely enough that
the same mistakes fail the same way: unknown or unbalanced tags, unescaped `<`,
unquoted attribute values that are not plain tokens. Error texts match Telegram's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ApiError, bad_request

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

_SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
        "span", "tg-spoiler", "tg-emoji", "code", "pre", "blockquote",
    }
)  # fmt: skip
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAMED_ENTITY = re.compile(r"&([a-zA-Z]+);?")
_NUMERIC_ENTITY = re.compile(r"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));?")
_BOT_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


@dataclass(frozen=True, slots=True)
class FormattedText:
    """Text as the user sees it plus its entities (offsets in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le")) // 2


def format_text(text: str, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """Parse `text` under `parse_mode` like Telegram; raise 400 on malformed markup."""
    mode = (parse_mode or "").strip()
    if mode == "":
        return FormattedText(text, list(entities) if isinstance(entities, list) else [])
    if mode.lower() == "html":
        return _HtmlParser(text).parse()
    if mode.lower() in {"markdown", "markdownv2"}:
        # Not validated: Interval formats with HTML only; accepted so nothing else breaks.
        return FormattedText(text)
    raise bad_request(f"unsupported parse_mode: {parse_mode}")


def bot_command_entities(text: str) -> list[dict[str, Any]]:
    """The `bot_command` entities Telegram adds to a user's message."""
    entities: list[dict[str, Any]] = []
    for match in _BOT_COMMAND.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_length(text[: match.start()]),
                "length": utf16_length(match.group()),
            }
        )
    return entities


@dataclass(slots=True)
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the output text
    attributes: dict[str, str]
    language: str | None = None


def _parse_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


class _HtmlParser:
    """One pass over the source, building the visible text and the entity list."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._pos = 0
        self._out: list[str] = []
        self._out_length = 0
        self._stack: list[_OpenTag] = []
        self._entities: list[dict[str, Any]] = []

    def parse(self) -> FormattedText:
        source = self._source
        while self._pos < len(source):
            char = source[self._pos]
            if char == "&":
                self._emit(self._read_entity())
            elif char == "<":
                if source.startswith("</", self._pos):
                    self._end_tag()
                else:
                    self._start_tag()
            else:
                # Copy a run of plain characters at once.
                end = self._pos + 1
                while end < len(source) and source[end] not in "&<":
                    end += 1
                self._emit(source[self._pos : end])
                self._pos = end
        if self._stack:
            raise _parse_error(
                f'Can\'t find end tag corresponding to start tag "{self._stack[-1].name}"'
            )
        self._entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return FormattedText("".join(self._out), self._entities)

    def _emit(self, text: str) -> None:
        self._out.append(text)
        self._out_length += utf16_length(text)

    def _byte_offset(self, position: int) -> int:
        return len(self._source[:position].encode("utf-8"))

    def _read_entity(self) -> str:
        source, pos = self._source, self._pos
        numeric = _NUMERIC_ENTITY.match(source, pos)
        if numeric is not None:
            code = int(numeric.group(1)) if numeric.group(1) else int(numeric.group(2), 16)
            if 0xD800 <= code <= 0xDFFF:
                raise _parse_error(
                    "Text contains invalid Unicode characters after decoding HTML entities, "
                    "check for unmatched surrogate code units"
                )
            if 0 < code <= 0x10FFFF:
                self._pos = numeric.end()
                return chr(code)
        named = _NAMED_ENTITY.match(source, pos)
        if named is not None and named.group(1) in _NAMED_ENTITIES:
            self._pos = named.end()
            return _NAMED_ENTITIES[named.group(1)]
        # Telegram keeps anything it does not recognise (`&ge;`, a lone `&`) as text.
        self._pos += 1
        return "&"

    def _skip_spaces(self) -> None:
        while self._pos < len(self._source) and self._source[self._pos].isspace():
            self._pos += 1

    def _start_tag(self) -> None:
        source = self._source
        begin = self._pos
        offset = self._byte_offset(begin)
        self._pos += 1
        name_start = self._pos
        while (
            self._pos < len(source) and not source[self._pos].isspace() and source[self._pos] != ">"
        ):
            self._pos += 1
        if self._pos >= len(source):
            raise _parse_error(f"Unclosed start tag at byte offset {offset}")
        name = source[name_start : self._pos].lower()
        if name not in _SUPPORTED_TAGS:
            raise _parse_error(f'Unsupported start tag "{name}" at byte offset {offset}')
        attributes = self._attributes(name, offset)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise _parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            raise _parse_error("Invalid custom emoji identifier specified")
        self._stack.append(_OpenTag(name, self._out_length, attributes))

    def _attributes(self, tag: str, offset: int) -> dict[str, str]:
        source = self._source
        attributes: dict[str, str] = {}
        while True:
            self._skip_spaces()
            if self._pos >= len(source):
                raise _parse_error(f'Unclosed start tag "{tag}" at byte offset {offset}')
            if source[self._pos] == ">":
                self._pos += 1
                return attributes
            name_start = self._pos
            while self._pos < len(source) and not (
                source[self._pos].isspace() or source[self._pos] in "=>"
            ):
                self._pos += 1
            name = source[name_start : self._pos].lower()
            if not name:
                raise _parse_error(
                    f'Empty attribute name in the tag "{tag}" at byte offset {offset}'
                )
            self._skip_spaces()
            if self._pos < len(source) and source[self._pos] == "=":
                self._pos += 1
                self._skip_spaces()
                attributes[name] = self._attribute_value(tag, offset)
            else:
                attributes[name] = ""

    def _attribute_value(self, tag: str, offset: int) -> str:
        source = self._source
        if self._pos >= len(source):
            raise _parse_error(f'Unclosed start tag "{tag}" at byte offset {offset}')
        quote = source[self._pos]
        if quote in "\"'":
            close = source.find(quote, self._pos + 1)
            if close < 0:
                raise _parse_error(f"Unclosed start tag at byte offset {offset}")
            raw = source[self._pos + 1 : close]
            self._pos = close + 1
            return _unescape(raw)
        token_start = self._pos
        while self._pos < len(source) and (
            source[self._pos].isalnum() or source[self._pos] in ".-_"
        ):
            self._pos += 1
        if self._pos >= len(source):
            raise _parse_error(f'Unclosed start tag "{tag}" at byte offset {offset}')
        if not (source[self._pos].isspace() or source[self._pos] == ">"):
            raise _parse_error(
                f"Unexpected end of name token at byte offset {self._byte_offset(token_start)}"
            )
        return source[token_start : self._pos]

    def _end_tag(self) -> None:
        source = self._source
        begin = self._pos
        offset = self._byte_offset(begin)
        if not self._stack:
            raise _parse_error(f"Unexpected end tag at byte offset {offset}")
        self._pos += 2
        name_start = self._pos
        while (
            self._pos < len(source) and not source[self._pos].isspace() and source[self._pos] != ">"
        ):
            self._pos += 1
        name = source[name_start : self._pos].lower()
        self._skip_spaces()
        if self._pos >= len(source) or source[self._pos] != ">":
            raise _parse_error(f"Unclosed end tag at byte offset {offset}")
        self._pos += 1
        open_tag = self._stack[-1]
        if name and name != open_tag.name:
            raise _parse_error(
                f"Unmatched end tag at byte offset {offset}, "
                f'expected "</{open_tag.name}>", found "</{name}>"'
            )
        self._stack.pop()
        self._close(open_tag)

    def _close(self, tag: _OpenTag) -> None:
        length = self._out_length - tag.start
        language = tag.attributes.get("class", "").removeprefix("language-")
        if tag.name == "code" and language and self._stack and self._stack[-1].name == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            self._stack[-1].language = language
            return
        if length == 0:
            return
        entity: dict[str, Any] = {"offset": tag.start, "length": length}
        if tag.name == "a":
            href = tag.attributes.get("href")
            if not href:
                return
            entity.update(type="text_link", url=href)
        elif tag.name == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=tag.attributes["emoji-id"])
        elif tag.name == "blockquote":
            expandable = "expandable" in tag.attributes
            entity.update(type="expandable_blockquote" if expandable else "blockquote")
        else:
            entity["type"] = _ENTITY_TYPES[tag.name]
            if tag.name == "pre" and tag.language:
                entity["language"] = tag.language
        self._entities.append(entity)


def _unescape(raw: str) -> str:
    if "&" not in raw:
        return raw
    return _HtmlParser(raw.replace("<", "&lt;")).parse().text
