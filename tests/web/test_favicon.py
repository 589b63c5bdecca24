"""The dashboard's icon: every page links it, and /favicon.ico finds it."""

from __future__ import annotations

from tests.web.helpers import Client, page


async def test_every_page_links_an_svg_icon_and_favicon_ico_leads_to_it(web: Client) -> None:
    signin = await page(web, "/")
    assert '<link rel="icon" href="/static/favicon.svg?v=' in signin
    asked = await web.get("/favicon.ico", allow_redirects=False)
    assert asked.status == 301
    icon = await web.get(asked.headers["Location"])
    assert icon.status == 200
    assert icon.content_type == "image/svg+xml"
    assert "<svg" in await icon.text()
