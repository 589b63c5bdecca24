"""The browser fixtures themselves, against a tiny aiohttp site with a strict CSP.

These prove the tools before the dashboard tests lean on them: the system Chromium renders a
page at phone width, a strict Content-Security-Policy really blocks the injected axe-core
(hence the auditor's `bypass_csp`), and axe finds a real violation and passes a clean page.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from playwright.async_api import Error as PlaywrightError

from tests.browser.axe import assert_accessible, audit, axe_source, violations
from tests.browser.conftest import PHONE, NewContext
from tests.fixtures.dashboard import free_port

# The policy the dashboard is asked for (issue 16): nothing inline, nothing from elsewhere.
STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'"

CLEAN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clinic overview</title><link rel="stylesheet" href="/site.css"></head>
<body><header><h1>Clínica Aurora</h1></header>
<main><p>Members: <strong>fewer than 5</strong></p>
<form method="post"><label for="text">Message</label><textarea id="text" name="text"></textarea>
<button type="submit">Schedule</button></form></main></body></html>
"""

# An image without alt text: axe's `image-alt` rule, impact "critical".
BROKEN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Broken</title></head>
<body><main><h1>Chart</h1><img src="/chart.png"></main></body></html>
"""

CSS = "body { font-family: sans-serif; margin: 0 1rem; } textarea { width: 100%; }"


@pytest.fixture
async def site() -> AsyncIterator[str]:
    """A small aiohttp site on a free port, every answer under STRICT_CSP; its base URL."""

    @web.middleware
    async def csp(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers["Content-Security-Policy"] = STRICT_CSP
        return response

    def page(html: str) -> web.Handler:
        async def handler(_: web.Request) -> web.Response:
            return web.Response(text=html, content_type="text/html")

        return handler

    async def css(_: web.Request) -> web.Response:
        return web.Response(text=CSS, content_type="text/css")

    async def members_only(request: web.Request) -> web.Response:
        # Without the cookie: a bare answer with no title and no language, which axe fails.
        if request.cookies.get("session") != "abc":
            return web.Response(status=403, text="<p>no</p>", content_type="text/html")
        return web.Response(text=CLEAN, content_type="text/html")

    app = web.Application(middlewares=[csp])
    app.router.add_get("/", page(CLEAN))
    app.router.add_get("/members", members_only)
    app.router.add_get("/broken", page(BROKEN))
    app.router.add_get("/site.css", css)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def png_width(data: bytes) -> int:
    """The width of a PNG image, from its IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width: int = struct.unpack(">I", data[16:20])[0]
    return width


async def test_the_system_chromium_renders_a_page_at_phone_width(
    new_context: NewContext, site: str
) -> None:
    context = await new_context()
    page = await context.new_page()
    await page.goto(site)

    assert await page.title() == "Clinic overview"
    assert await page.locator("h1").inner_text() == "Clínica Aurora"
    # The stylesheet loaded under the policy: 'self' is allowed.
    margin = await page.evaluate("getComputedStyle(document.body).marginLeft")
    assert margin == "16px"
    shot = await page.screenshot(full_page=True)
    assert png_width(shot) == PHONE["viewport"]["width"]


async def test_a_strict_csp_refuses_the_injected_axe_unless_the_context_bypasses_it(
    new_context: NewContext, site: str
) -> None:
    enforced = await (await new_context()).new_page()
    await enforced.goto(site)
    with pytest.raises(PlaywrightError, match="violates the following Content Security Policy"):
        await enforced.add_script_tag(content=axe_source())
    assert await enforced.evaluate("typeof window.axe") == "undefined"

    bypassing = await (await new_context(bypass_csp=True)).new_page()
    await bypassing.goto(site)
    await bypassing.add_script_tag(content=axe_source())
    assert await bypassing.evaluate("typeof window.axe.run") == "function"


async def test_axe_reports_an_image_without_alt_text_as_critical(
    new_context: NewContext, site: str
) -> None:
    page = await (await new_context(bypass_csp=True)).new_page()
    await page.goto(f"{site}/broken")

    found = await violations(page)

    assert ("image-alt", "critical") in {(v.rule, v.impact) for v in found}
    with pytest.raises(AssertionError, match="image-alt"):
        await assert_accessible(page, "broken")


async def test_a_clean_page_passes_the_audit_from_a_context_sharing_the_cookies(
    new_context: NewContext, site: str
) -> None:
    visitor = await new_context()
    await visitor.add_cookies([{"name": "session", "value": "abc", "url": site}])

    lesser = await audit(new_context, visitor, f"{site}/members", "members")

    assert all(v.impact not in {"serious", "critical"} for v in lesser)
