"""Real-browser fixtures: the operating system's Chromium, driven by Playwright for Python.

- `chromium_executable` (session): the Debian package's `chromium` (or `$CHROMIUM`). Absent,
  the browser tests are skipped with the reason, except under `CI=true`, where they fail:
  `.ci/run` installs the package, so a missing browser there is a broken CI, not a choice.
- `chromium_endpoint` (session): ONE headless Chromium process for the whole test session,
  listening on the DevTools protocol; `browser` (per test) connects Playwright to it.
- `new_context`: a factory of isolated browser contexts (cookies, storage) on that browser,
  phone-sized by default (`PHONE`), closed after the test.

Why a shared process and a per-test connection rather than a session-scoped Playwright
`Browser`: every test here runs in its own event loop (pytest-asyncio's function loop scope),
and so do the sandbox and the bot it talks to. A Playwright connection belongs to the loop
that made it, so it cannot outlive a test; the browser process can. Connecting over the
DevTools protocol costs a fraction of launching Chromium, and the process stays warm.

Never `playwright install`: the browser is the distribution's, the same one staff might use.
Every test collected under tests/browser/ carries the `browser` marker: `pytest -m browser`
runs them alone, `pytest -m "not browser"` leaves them out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright

from tests.browser.screens import screenshot_dir

HERE = Path(__file__).parent

# An iPhone 12/13/14-sized screen: the dashboard must work on a phone (issue 16), so the
# tests and the screenshots in docs/dashboard/ look at it the way a clinic's staff will.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}

# How long an action or an `expect` waits for its element (Playwright's default is 30 s).
ACTION_TIMEOUT_MS = 10_000

# How long Chromium may take to open its DevTools port on a loaded two-core machine.
STARTUP_TIMEOUT_S = 30.0

# Flags for a quiet, reproducible headless browser: no first-run UI, no network of its own
# (updates, sync, safe-browsing lists), one colour profile and no scrollbars so screenshots
# are the same from run to run. `--no-sandbox` as Playwright's own launch does by default:
# CI containers run as root and often lack the user namespaces Chromium's sandbox needs;
# the only pages opened are our own, served on 127.0.0.1.
CHROMIUM_FLAGS = (
    "--headless",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--password-store=basic",
    "--use-mock-keychain",
    "--force-color-profile=srgb",
    "--hide-scrollbars",
    "--mute-audio",
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this directory `browser`, before `-m` selects on it."""
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def _under_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The system Chromium's path; skips (locally) or fails (CI=true) when there is none."""
    named = os.environ.get("CHROMIUM")
    found = named or shutil.which("chromium") or shutil.which("chromium-browser")
    if found and Path(found).exists():
        return found
    where = f"CHROMIUM={named} does not exist" if named else "no `chromium` on PATH"
    reason = (
        f"Chromium not found ({where}): install the Debian package "
        "(`apt-get install chromium`) to run the browser tests"
    )
    if _under_ci():
        pytest.fail(f"{reason}; CI=true requires it (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_endpoint(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One headless Chromium for the session; its DevTools address, http://127.0.0.1:PORT."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    log_path = profile.parent / "chromium.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # our own argument list, no shell
            [chromium_executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        # Chromium writes the port it picked (port 0 above: never a clash) to this file.
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not (port_file.exists() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(errors="replace")[-2000:]
                pytest.fail(f"Chromium did not start (exit {process.poll()}):\n{output}")
            time.sleep(0.05)  # polling a file another process writes; nothing to await
        port = port_file.read_text().splitlines()[0]
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
async def browser(chromium_endpoint: str) -> AsyncIterator[Browser]:
    """Playwright, in this test's event loop, connected to the session's Chromium."""
    async with async_playwright() as playwright:
        connected = await playwright.chromium.connect_over_cdp(chromium_endpoint)
        try:
            yield connected
        finally:
            # On a connected browser this closes the contexts we made and disconnects;
            # the Chromium process itself lives on for the next test.
            await connected.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where `screens.screenshot` saves: docs/dashboard/ with UPDATE_SCREENSHOTS=1."""
    return screenshot_dir(tmp_path_factory.mktemp("screenshots"))


NewContext = Callable[..., Awaitable[BrowserContext]]


@pytest.fixture
async def new_context(browser: Browser) -> AsyncIterator[NewContext]:
    """Make isolated browser contexts (phone-sized unless told otherwise); all closed after."""
    made: list[BrowserContext] = []

    async def make(**options: Any) -> BrowserContext:
        context = await browser.new_context(**{**PHONE, "locale": "en-GB", **options})
        # A missing element fails in seconds, with Playwright's report, not after 30 s.
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    for context in made:
        await context.close()
