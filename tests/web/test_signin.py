"""Signing in to the dashboard: the bot's single-use link, Mini App initData, sessions."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.context import BotApp
from bot.web.dashboard.webapp import sign_init_data
from sandbox import Sandbox
from storage.database import Database
from tests.conversations.clinic_world import become_staff, make_clinic, member
from tests.eventually import eventually
from tests.web.helpers import Client, csrf_of, page, sign_in, signin_path


@pytest.fixture
async def clinic(dashboard_bot: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock):
    clinic, invite = await make_clinic(bot_database, "Clínica Aurora", clock.now())
    ana = sandbox.user(501, first_name="Ana")
    answer = await become_staff(ana, invite)
    assert "You are now staff of" in (answer.text or "")
    return clinic, ana


async def test_without_a_session_a_clinic_page_sends_to_the_sign_in_page(
    web: Client, clinic
) -> None:
    found, _ana = clinic
    response = await web.get(f"/c/{found.id}/", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/"
    body = await page(web, "/")
    assert "send /dashboard to the bot" in body


async def test_a_staff_member_signs_in_with_the_link_the_bot_sent(web: Client, clinic) -> None:
    found, ana = clinic
    response = await web.get(await signin_path(ana), allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == f"/c/{found.id}/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    overview = await web.get(f"/c/{found.id}/")
    body = await overview.text()
    assert overview.status == 200
    assert "Clínica Aurora" in body
    assert "<svg" in body
    csp = overview.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


async def test_a_sign_in_link_works_only_once(web: Client, clinic) -> None:
    _found, ana = clinic
    path = await signin_path(ana)
    assert (await web.get(path, allow_redirects=False)).status == 303
    web.session.cookie_jar.clear()
    again = await web.get(path, allow_redirects=False)
    assert again.status == 403
    assert "not valid" in await again.text()


async def test_a_forged_sign_in_link_is_refused(web: Client, clinic) -> None:
    response = await web.get("/signin/not-a-real-token-at-all", allow_redirects=False)
    assert response.status == 403


async def test_a_sign_in_link_expires_after_ten_minutes(
    web: Client, clinic, clock: FakeClock
) -> None:
    _found, ana = clinic
    path = await signin_path(ana)
    clock.advance(timedelta(minutes=10, seconds=1))
    assert (await web.get(path, allow_redirects=False)).status == 403


async def test_a_patient_asking_for_the_dashboard_is_told_it_is_for_clinic_staff(
    web: Client, clinic, sandbox: Sandbox
) -> None:
    found, _ana = clinic
    patient = sandbox.user(1001, first_name="Pat")
    await member(patient, found)
    await patient.send("/dashboard")
    answer = await patient.next_message()
    assert "The dashboard is for clinic staff." in (answer.text or "")
    assert not answer.every_button


async def test_a_session_ends_after_thirty_idle_minutes(
    web: Client, clinic, clock: FakeClock
) -> None:
    found, ana = clinic
    await sign_in(web, ana)
    clock.advance(timedelta(minutes=29))
    await page(web, f"/c/{found.id}/")
    clock.advance(timedelta(minutes=29))
    await page(web, f"/c/{found.id}/")
    clock.advance(timedelta(minutes=31))
    response = await web.get(f"/c/{found.id}/", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/"


async def test_signing_out_needs_the_csrf_token_and_ends_the_session(web: Client, clinic) -> None:
    found, ana = clinic
    await sign_in(web, ana)
    overview = await page(web, f"/c/{found.id}/")
    assert (await web.post("/signout", data={}, allow_redirects=False)).status == 403
    out = await web.post("/signout", data={"csrf": csrf_of(overview)}, allow_redirects=False)
    assert out.status == 303
    assert (await web.get(f"/c/{found.id}/", allow_redirects=False)).status == 303


def _init_data(user_id: int, token: str, auth_date: int) -> str:
    from urllib.parse import urlencode

    fields = {
        "auth_date": str(auth_date),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Ana"}, separators=(",", ":")),
    }
    fields["hash"] = sign_init_data(fields, token)
    return urlencode(fields)


async def test_mini_app_init_data_signed_with_the_bot_token_signs_staff_in(
    web: Client, clinic, sandbox: Sandbox, clock: FakeClock
) -> None:
    found, ana = clinic
    data = _init_data(ana.id, sandbox.token, int(clock.now().timestamp()) - 60)
    response = await web.post("/webapp-signin", data={"init_data": data})
    assert response.status == 200
    assert (await response.json())["redirect"] == f"/c/{found.id}/"
    await page(web, f"/c/{found.id}/")


async def test_forged_or_stale_mini_app_init_data_is_refused(
    web: Client, clinic, sandbox: Sandbox, clock: FakeClock
) -> None:
    _found, ana = clinic
    now = int(clock.now().timestamp())
    forged = _init_data(ana.id, "123:not-the-bot-token", now)
    stale = _init_data(ana.id, sandbox.token, now - 25 * 3600)
    tampered = _init_data(ana.id, sandbox.token, now).replace("Ana", "Eve")
    for init_data in (forged, stale, tampered, "", "hash=abc"):
        response = await web.post("/webapp-signin", data={"init_data": init_data})
        assert response.status == 403, init_data


async def test_mini_app_init_data_of_a_patient_signs_nobody_in(
    web: Client, clinic, sandbox: Sandbox, clock: FakeClock
) -> None:
    data = _init_data(1001, sandbox.token, int(clock.now().timestamp()))
    assert (await web.post("/webapp-signin", data={"init_data": data})).status == 403


async def test_over_https_staff_chats_get_a_menu_button_that_opens_the_mini_app(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    from bot.app import build_application, dashboard_services, serving
    from bot.web.dashboard import build_dashboard
    from tests.fixtures.bot import bot_settings
    from tests.fixtures.dashboard import free_port

    settings = bot_settings(
        sandbox, dashboard_port=free_port(), dashboard_url="https://dashboard.example.org"
    )
    application = build_application(settings, clock=clock, database=bot_database)
    async with serving(application):
        clinic, invite = await make_clinic(bot_database, "Clínica Aurora", clock.now())
        ana = sandbox.user(501, first_name="Ana")
        await become_staff(ana, invite)
        path = await signin_path(ana)
        button = await eventually(lambda: sandbox.menu_button(ana.id), what="the menu button")
        assert button["type"] == "web_app"
        assert button["web_app"]["url"] == "https://dashboard.example.org/"
        from aiohttp.test_utils import TestClient, TestServer

        app = build_dashboard(dashboard_services(application))
        async with TestClient(TestServer(app)) as client:
            response = await client.get(path, allow_redirects=False)
            assert response.status == 303
            assert "Secure" in response.headers["Set-Cookie"]
            assert response.headers["Location"] == f"/c/{clinic.id}/"


async def test_the_stylesheet_and_scripts_are_served_from_the_package(web: Client) -> None:
    home = await page(web, "/")
    css = home.split('rel="stylesheet" href="')[1].split('"')[0]
    assert css.startswith("/static/dashboard.css?v=")
    assert (await web.get(css)).status == 200
    for script in ("/static/progress.js", "/static/webapp.js"):
        response = await web.get(script)
        assert response.status == 200
        assert "fetch(" in await response.text()
