"""Screenshots of the dashboard for docs/dashboard/, and the console a page wrote to.

Every run takes the screenshots; they replace docs/dashboard/*.png only with
`UPDATE_SCREENSHOTS=1` (`UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest -m browser -k sqlite`).
Otherwise they go to the session's temporary directory: the pages carry fresh invite and join
tokens each run, so a plain test run would rewrite the committed pictures every time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import ConsoleMessage, Page

DOCS = Path(__file__).resolve().parents[2] / "docs" / "dashboard"


def screenshot_dir(temporary: Path) -> Path:
    """docs/dashboard/ when UPDATE_SCREENSHOTS=1, else `temporary`; made if missing."""
    directory = DOCS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else temporary
    directory.mkdir(parents=True, exist_ok=True)
    return directory


async def screenshot(page: Page, directory: Path, name: str) -> Path:
    """Save the whole page (not just the screen) as DIRECTORY/NAME.png; its path."""
    path = directory / f"{name}.png"
    # No field left focused by the test: its highlight is not part of the page.
    await page.evaluate(
        "document.activeElement instanceof HTMLElement && document.activeElement.blur()"
    )
    # Animations stopped and the caret hidden, so the same page gives the same picture.
    await page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    return path


@dataclass
class Console:
    """What the pages of a context complained about: errors, CSP refusals, uncaught throws."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        """Listen to this page; the page, for chaining."""
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        return page

    def _message(self, message: ConsoleMessage) -> None:
        url = message.location.get("url", "?")
        # Chromium asks every site for /favicon.ico on its own; a 404 there is no page's fault.
        if message.type == "error" and not url.endswith("/favicon.ico"):
            self.errors.append(f"{url}: {message.text}")
