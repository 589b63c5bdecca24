"""Steps of the dashboard tests: signing in through the bot, reading pages and forms."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp.test_utils import TestClient

from sandbox.users import SandboxUser

Client = TestClient[Any, Any]
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def signin_path(user: SandboxUser) -> str:
    """Send /dashboard in the user's private chat; the path of the link the bot sent."""
    await user.send("/dashboard")
    message = await user.next_message()
    urls = [b.data for b in message.every_button if b.data and "/signin/" in b.data]
    assert urls, message.text
    return urlsplit(urls[0]).path


async def sign_in(web: Client, user: SandboxUser) -> str:
    """Sign the user in with the link from the bot; the page it lands on (its path)."""
    response = await web.get(await signin_path(user), allow_redirects=False)
    assert response.status == 303, await response.text()
    return response.headers["Location"]


async def page(web: Client, path: str, status: int = 200) -> str:
    """GET a page, check its status, and return its HTML."""
    response = await web.get(path, allow_redirects=False)
    body = await response.text()
    assert response.status == status, (path, response.status, body[:500])
    return body


def csrf_of(html: str) -> str:
    """The CSRF token of the page's forms."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def post(
    web: Client, path: str, data: dict[str, str], *, csrf_from: str, status: int = 200
) -> tuple[int, str, str | None]:
    """POST a form with the CSRF token of the page at `csrf_from`; status, body, Location."""
    token = csrf_of(await page(web, csrf_from))
    response = await web.post(path, data={**data, "csrf": token}, allow_redirects=False)
    body = await response.text()
    assert response.status == status, (path, response.status, body[:800])
    return response.status, body, response.headers.get("Location")


async def submit(
    web: Client, path: str, data: dict[str, str], *, csrf_from: str
) -> tuple[str, str]:
    """POST a form that works: it answers 303 (Post/Redirect/Get); where to, and that page."""
    _status, _body, location = await post(web, path, data, csrf_from=csrf_from, status=303)
    assert location is not None
    # Only our fixed notice keys and numbers ride in the URL, never what was typed.
    query = dict(parse_qsl(urlsplit(location).query))
    assert all(value.isdigit() for key, value in query.items() if key != "done"), location
    return location, await page(web, location)
