"""A broadcast's body as members read it, for the dashboard's pages.

The body is Telegram HTML typed by staff. The page never shows that markup raw: it is parsed
and re-built from Telegram's own tags only (the rest dropped, every text escaped, every tag
closed), or reduced to plain text for the list's excerpt.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markupsafe import Markup, escape

# Telegram's tags, as the page draws them (https://core.telegram.org/bots/api#html-style).
_WEB_TAGS = {
    "b": "strong",
    "strong": "strong",
    "i": "em",
    "em": "em",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "span",
    "span": "span",
    "a": "a",
}
ELLIPSIS = "…"
# An address in a source, written with or without its scheme (facialaestheticsinc.com/...).
_ADDRESS = re.compile(r"\b(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(/[^\s),]*)?")


class _Rebuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.text: list[str] = []
        # The body's open tags, each with what was written for it (None: dropped).
        self.open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        web_tag = _WEB_TAGS.get(tag)
        if web_tag is None:
            return
        opening = f"<{web_tag}>"
        if web_tag == "span":
            opening = '<span class="spoiler">'
        elif web_tag == "a":
            href = dict(attrs).get("href") or ""
            # Only web addresses become links; a tg:// one stays text.
            if href.startswith(("https://", "http://")):
                opening = f'<a href="{escape(href)}" rel="nofollow noopener noreferrer">'
            else:
                web_tag, opening = "", ""
        if web_tag:
            self.parts.append(opening)
        self.open.append((tag, web_tag or None))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            return  # not the innermost open tag: ignored, the output stays well formed
        _, web_tag = self.open.pop()
        if web_tag:
            self.parts.append(f"</{web_tag}>")

    def handle_data(self, data: str) -> None:
        self.parts.append(str(escape(data)))
        self.text.append(data)

    def finish(self) -> None:
        self.close()
        while self.open:
            _, web_tag = self.open.pop()
            if web_tag:
                self.parts.append(f"</{web_tag}>")


def _parsed(body: str) -> _Rebuilder:
    rebuilt = _Rebuilder()
    rebuilt.feed(body)
    rebuilt.finish()
    return rebuilt


def as_shown(body: str) -> Markup:
    """The body as safe page HTML: Telegram's formatting kept, nothing else of the markup."""
    return Markup("".join(_parsed(body).parts))


def excerpt(body: str, most: int = 80) -> str:
    """The body's plain text, cut at a word boundary within `most` characters, with "…"."""
    text = " ".join("".join(_parsed(body).text).split())
    if len(text) <= most:
        return text
    cut = text[: most - len(ELLIPSIS) + 1]
    space = cut.rfind(" ")
    # One very long word is cut where it must be, rather than showing nothing.
    kept = cut[:space] if space > most // 2 else cut[: most - len(ELLIPSIS)]
    return kept.rstrip(" ,.;:") + ELLIPSIS


def source_html(text: str) -> Markup:
    """A source as page HTML: each address a link that shows only its host, so it fits a phone."""
    parts: list[str] = []
    last = 0
    for found in _ADDRESS.finditer(text):
        host = found.group(1)
        address = found.group(0)
        if not address.startswith(("https://", "http://")):
            address = f"https://{address}"
        parts.append(str(escape(text[last : found.start()])))
        parts.append(
            f'<a class="address" href="{escape(address)}" rel="nofollow noopener noreferrer">'
            f"{escape(host)}</a>"
        )
        last = found.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))
