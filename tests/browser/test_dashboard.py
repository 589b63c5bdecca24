"""The clinic dashboard in a real browser, signed in from the bot, on the real application.

The bot runs as in production (tests/fixtures/bot.py: the PTB Application long-polling the
sandbox, the fake clock) with the dashboard on a free port. Staff sign in through the link
the bot sent them in the sandbox; pages are driven in the system's Chromium at phone width
with the Content-Security-Policy enforced, and every page's console must stay free of errors
(so the dashboard's own scripts are proven to work under that policy). The accessibility
audit (tests/browser/axe.py) opens each page again in a context that bypasses the policy,
because axe-core is injected as an inline script.

Each page's screenshot is taken at 390 px wide, the whole page, and saved under
docs/dashboard/ when UPDATE_SCREENSHOTS=1 (tests/browser/screens.py).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from bot.clock import FakeClock
from bot.context import BotApp
from rules import Procedure
from sandbox import Sandbox
from sandbox.users import SandboxUser
from storage.database import Database
from tests.browser.axe import audit
from tests.browser.conftest import NewContext
from tests.browser.screens import Console, screenshot
from tests.conversations.clinic_world import World, build_world
from tests.conversations.helpers import button_data, log_directly
from tests.conversations.staff_steps import received
from tests.delivery.helpers import advance_to
from tests.eventually import eventually

BOTOX_DAY = date(2026, 11, 20)
# Enough members that the figures are shown as numbers, not "fewer than 5".
MEMBERS = 6
# The report's script polls every 2 s of real time; a loaded machine gets some slack.
LIVE_TIMEOUT_MS = 20_000


@pytest.fixture
def dashboard_app(dashboard_bot: BotApp) -> tuple[BotApp, str]:
    """The bot with its dashboard (tests/fixtures/dashboard.py) and the dashboard's address."""
    return dashboard_bot, dashboard_bot.bot_data.settings.dashboard_base_url


@pytest.fixture
async def world(
    dashboard_app: tuple[BotApp, str], sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> World:
    """Clinic A (owner Ana, staff Alba, six members with Botox on 20 Nov) and clinic B."""
    world = await build_world(sandbox, bot_database, clock.now(), a_members=MEMBERS)
    for user in world.patients:
        await log_directly(bot_database, user.id, Procedure.BOTOX, BOTOX_DAY, clock.now())
    return world


async def signin_link(staff: SandboxUser) -> str:
    """/dashboard in the staff member's private chat; the link the bot sent."""
    await staff.send("/dashboard")
    message = await staff.next_message()
    assert "Open this link to sign in" in (message.text or ""), message.text
    return button_data(message, "Open the dashboard")


async def sign_in(
    new_context: NewContext, staff: SandboxUser, console: Console
) -> tuple[BrowserContext, Page]:
    """A fresh browser (policy enforced) opens the staff member's link: their overview."""
    context = await new_context()
    page = console.watch(await context.new_page())
    await page.goto(await signin_link(staff))
    await expect(page).to_have_url(re.compile(r"/c/\d+/$"))
    return context, page


async def _next_text(user: SandboxUser) -> str:
    await user.send("/next")
    return (await user.next_message()).text or ""


async def test_staff_sign_in_from_the_bot_schedule_a_broadcast_and_watch_the_report_fill_in(
    world: World,
    dashboard_app: tuple[BotApp, str],
    new_context: NewContext,
    clock: FakeClock,
    screenshots: Path,
) -> None:
    application, _ = dashboard_app
    # The members joined at the frozen clock's "now", where the charts' last week ends.
    clock.advance(timedelta(minutes=1))
    console = Console()
    context, page = await sign_in(new_context, world.ana, console)

    await expect(page.locator("h1")).to_have_text("Overview")
    await expect(page.locator(".clinic-name")).to_have_text("Clínica Aurora")
    active = page.locator(".tile", has_text="active members").locator(".figure")
    await expect(active).to_have_text(str(MEMBERS))
    weeks = page.locator("details tbody tr")
    await expect(weeks).to_have_count(12)
    await expect(weeks.last.locator("td").nth(1)).to_have_text(str(MEMBERS))
    await screenshot(page, screenshots, "overview")
    await audit(new_context, context, page.url, "overview")

    await page.get_by_role("link", name="Broadcasts").click()
    await expect(page.locator("h1")).to_have_text("Broadcasts")
    await expect(page.get_by_text("No broadcasts yet.")).to_be_visible()
    await page.get_by_role("link", name="New broadcast").click()
    await expect(page.locator("h1")).to_have_text("New broadcast")

    # 10:31 in Berlin now; it goes out at 10:50, within the session's 30 idle minutes.
    text = "<b>Closed on Monday</b> for a training day; we reopen Tuesday at 9."
    await page.get_by_label("Message").fill(text)
    await page.get_by_label(f"all active members ({MEMBERS})").check()
    await page.get_by_label("Schedule for").check()
    await page.get_by_label("Date").fill("2026-11-24")
    await page.get_by_label(re.compile(r"Time \(Europe/Berlin\)")).fill("10:50")
    await screenshot(page, screenshots, "compose")
    await audit(new_context, context, page.url, "compose")
    await page.get_by_role("button", name="Send or schedule").click()

    await expect(page).to_have_url(re.compile(r"/broadcasts/\d+$"))
    report_url = page.url
    progress = page.locator("#progress")
    await expect(progress.locator('[data-field="state"]')).to_have_text("scheduled")
    await expect(progress).to_contain_text("Starts:")
    await expect(progress.locator('[data-field="waiting"]')).to_have_text(str(MEMBERS))
    await expect(progress.locator('[data-field="delivered"]')).to_have_text("fewer than 5")
    await expect(page.get_by_role("button", name="Cancel this broadcast")).to_be_visible()
    await expect(progress.get_by_text("Ended:")).to_be_hidden()
    html = "<b>Closed on Monday</b>"
    assert all(received(member, html) == 0 for member in world.a_patients)
    # Marks this document: still there at the end means the figures came without a reload.
    await page.evaluate("window.sameDocument = true")

    await advance_to(clock, application, clock.now() + timedelta(minutes=20))

    for member in world.a_patients:
        await eventually(lambda m=member: received(m, html) == 1, what=f"{member.id} got it")
    assert all(received(member, html) == 0 for member in world.b_patients)
    delivered = progress.locator('[data-field="delivered"]')
    await expect(delivered).to_have_text(str(MEMBERS), timeout=LIVE_TIMEOUT_MS)
    await expect(progress.locator('[data-field="state"]')).to_have_text(
        "finished", timeout=LIVE_TIMEOUT_MS
    )
    await expect(progress.locator('[data-field="waiting"]')).to_have_text("fewer than 5")
    # Once it ended, nothing is left to cancel and its end shows, as after a reload.
    await expect(page.get_by_role("button", name="Cancel this broadcast")).to_be_hidden()
    await expect(progress.get_by_text("Ended:")).to_be_visible()
    await expect(progress.locator('[data-field="ended"]')).to_have_text(
        re.compile(r"24 Nov 2026 10:5\d")
    )
    assert await page.evaluate("window.sameDocument === true"), "the report page reloaded"
    # The message as members read it: bold, not its HTML source.
    await expect(page.locator(".body strong")).to_have_text("Closed on Monday")
    await expect(page.locator(".body")).not_to_contain_text("<b>")
    await screenshot(page, screenshots, "report")
    await audit(new_context, context, report_url, "report")

    await page.get_by_role("link", name="Broadcasts").click()
    row = page.locator("table.list tbody tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("Closed on Monday")
    await expect(row).not_to_contain_text("<b>")
    await expect(row).to_contain_text("finished")
    await expect(row.locator("td").nth(3)).to_have_text(str(MEMBERS))
    await screenshot(page, screenshots, "broadcasts")
    await audit(new_context, context, page.url, "broadcasts")
    assert console.errors == []


async def test_an_owner_changes_a_rule_in_the_browser_and_a_members_next_date_moves(
    world: World, new_context: NewContext, screenshots: Path
) -> None:
    member, other_clinic = world.a_patients[0], world.b_patients[0]
    assert "Fri, 4 Dec 2026" in await _next_text(member)
    console = Console()
    context, page = await sign_in(new_context, world.ana, console)

    await page.get_by_role("link", name="Guidance").click()
    await expect(page.locator("h1")).to_have_text("Guidance")
    await expect(page.get_by_text("No changes: the defaults apply.")).to_be_visible()
    await page.get_by_label("Rule", exact=True).select_option(label="Botox → microneedling")
    await page.get_by_label("New value: days, off, or default").fill("21")
    await page.get_by_label("Reason (kept in the history)").fill("New consensus paper")
    await page.get_by_role("button", name="Apply", exact=True).click()

    await expect(page.get_by_role("status")).to_contain_text("Version 1 saved")
    history = page.locator("ol.history li")
    await expect(history).to_have_count(1)
    await expect(history).to_contain_text("Botox → microneedling: 14 days → 21 days")
    await expect(history).to_contain_text("Ana")
    await expect(history).to_contain_text("New consensus paper")
    # The author is told in the chat when every member is re-planned, as after /guidance.
    done = await world.ana.next_message(timeout=15)
    assert "Re-planned" in (done.text or ""), done.text
    assert "Fri, 11 Dec 2026" in await _next_text(member)
    assert "Fri, 4 Dec 2026" in await _next_text(other_clinic)
    # The form answered with a redirect (Post/Redirect/Get): a reload reads, never re-posts.
    await expect(page).to_have_url(re.compile(r"/guidance\?done=rule-saved&version=1$"))
    await page.reload()
    await expect(page.get_by_role("alert")).to_have_count(0)
    await expect(history).to_have_count(1)
    await screenshot(page, screenshots, "guidance")
    await audit(new_context, context, page.url, "guidance")

    await page.get_by_role("link", name="Team").click()
    await expect(page.locator("h1")).to_have_text("Team")
    staff = page.locator("section", has_text="Staff").locator("tbody tr")
    await expect(staff).to_have_count(2)
    await page.get_by_role("button", name="Create an invite link").click()
    await expect(page.get_by_role("status")).to_contain_text("Invite created")
    await expect(page.locator("code.link-out").first).to_contain_text("https://t.me/")
    await screenshot(page, screenshots, "team")
    await audit(new_context, context, page.url, "team")
    assert console.errors == []


async def test_a_sign_in_link_works_once_and_without_a_session_the_sign_in_page_shows(
    world: World,
    dashboard_app: tuple[BotApp, str],
    new_context: NewContext,
    screenshots: Path,
) -> None:
    _, base = dashboard_app
    console = Console()
    link = await signin_link(world.alba)
    first = console.watch(await (await new_context()).new_page())
    await first.goto(link)
    await expect(first).to_have_url(re.compile(r"/c/\d+/$"))
    # Alba is staff, not an owner: no Team in her navigation.
    await expect(first.get_by_role("link", name="Team")).to_have_count(0)

    # Not watched: the refusal is a 403 document, which Chromium logs as an error.
    again = await (await new_context()).new_page()
    answer = await again.goto(link)
    assert answer is not None
    assert answer.status == 403
    await expect(again.get_by_role("alert")).to_contain_text("This sign-in link is not valid")

    visitor = await new_context()
    page = console.watch(await visitor.new_page())
    await page.goto(f"{base}/c/{world.a.id}/")
    await expect(page).to_have_url(f"{base}/")
    await expect(page.locator("h1")).to_have_text("Clinic dashboard")
    await expect(page.get_by_text("send /dashboard to the bot")).to_be_visible()
    await screenshot(page, screenshots, "signin")
    await audit(new_context, visitor, page.url, "sign-in")
    assert console.errors == []
