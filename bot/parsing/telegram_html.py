"""Whether a broadcast body typed on the web is HTML that Telegram accepts.

In the chat the preview is the check (Telegram refuses what it cannot parse); on the web the
body is checked here first, with Telegram's rules for `parse_mode=HTML`: only its tags, no
attributes but `href` (on `a`) and the spoiler/language classes, tags closed in order, and
only the four named entities. The "send me a test" button then lets Telegram have its say.
"""

from __future__ import annotations

from html.parser import HTMLParser

# https://core.telegram.org/bots/api#html-style
_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
    }
)
_ATTRIBUTES = {"a": {"href"}, "span": {"class"}, "code": {"class"}, "blockquote": {"expandable"}}
_ENTITIES = frozenset({"lt", "gt", "amp", "quot"})


class TelegramHtmlError(ValueError):
    """Telegram would refuse this HTML; the message says where."""


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise TelegramHtmlError(f"<{tag}> is not a tag Telegram supports")
        allowed = _ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                raise TelegramHtmlError(f'<{tag}> cannot have the attribute "{name}"')
            if tag == "span" and value != "tg-spoiler":
                raise TelegramHtmlError('<span> needs class="tg-spoiler"')
            if tag == "a" and not (value or "").startswith(("http://", "https://", "tg://")):
                raise TelegramHtmlError("a link needs an http://, https:// or tg:// address")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise TelegramHtmlError(f"<{tag}/> is not a tag Telegram supports")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise TelegramHtmlError(f"</{tag}> closes a tag that is not open")
        self.open.pop()

    def handle_entityref(self, name: str) -> None:
        if name not in _ENTITIES:
            raise TelegramHtmlError(f"&{name}; is not an entity Telegram supports")

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise TelegramHtmlError("write &lt; for a < that is not a tag")

    def handle_comment(self, data: str) -> None:
        raise TelegramHtmlError("comments are not allowed")

    def handle_decl(self, decl: str) -> None:
        raise TelegramHtmlError("declarations are not allowed")


def check_telegram_html(body: str) -> None:
    """Raise TelegramHtmlError unless Telegram's HTML parse mode accepts `body`."""
    checker = _Checker()
    checker.feed(body)
    checker.close()
    if "<" in checker.rawdata:
        # A "<" that starts no tag stays unparsed in the buffer at the end.
        raise TelegramHtmlError("write &lt; for a < that is not a tag")
    if checker.open:
        raise TelegramHtmlError(f"<{checker.open[-1]}> is not closed")
