"""Every dashboard page and form, on SQLite and PostgreSQL, through the bot's sign-in link."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.context import BotApp
from bot.usecases.dashboard import broadcast_report
from sandbox import Sandbox
from storage.database import Database
from tests.conversations.clinic_world import World, become_staff, build_world, make_clinic
from tests.conversations.helpers import press_and_wait_for_edit
from tests.delivery.helpers import advance_to, dispatcher_of
from tests.eventually import eventually
from tests.web.helpers import Client, page, post, sign_in, submit

RULE = {"form": "rule", "rule": "botox:microneedling", "reason": "r"}


@pytest.fixture
async def world(
    dashboard_bot: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> World:
    return await build_world(sandbox, bot_database, clock.now(), a_members=3, b_members=1)


async def test_the_overview_shows_members_reminders_bookings_and_two_charts(
    web: Client, world: World
) -> None:
    landed = await sign_in(web, world.ana)
    body = await page(web, landed)
    assert "active members" in body
    assert "fewer than 5" in body  # three members: a count that could point to someone
    assert body.count("<svg") == 2
    assert "Booked" in body
    assert "<script>" not in body.split("</main>")[0]


async def test_another_clinics_pages_answer_404(web: Client, world: World) -> None:
    await sign_in(web, world.ana)
    b = world.b.id
    for path in (
        f"/c/{b}/",
        f"/c/{b}/broadcasts",
        f"/c/{b}/broadcasts/new",
        f"/c/{b}/broadcasts/1",
        f"/c/{b}/broadcasts/1/progress.json",
        f"/c/{b}/guidance",
        f"/c/{b}/team",
        "/c/999/",
        "/c/not-a-number/",
    ):
        await page(web, path, status=404)
    overview = f"/c/{world.a.id}/"
    await post(web, f"/c/{b}/team/rotate-join", {}, csrf_from=overview, status=404)
    await post(web, f"/c/{b}/broadcasts", {"body": "x"}, csrf_from=overview, status=404)


async def test_a_form_without_its_csrf_token_is_refused_with_403(web: Client, world: World) -> None:
    await sign_in(web, world.ana)
    a = world.a.id
    for path, data in (
        (f"/c/{a}/broadcasts", {"body": "Hello", "audience": "all", "when": "now"}),
        (f"/c/{a}/team/rotate-join", {}),
        (f"/c/{a}/guidance", {"rule": "botox:microneedling", "value": "21", "reason": "x"}),
    ):
        missing = await web.post(path, data=data, allow_redirects=False)
        assert missing.status == 403
        wrong = await web.post(path, data={**data, "csrf": "forged"}, allow_redirects=False)
        assert wrong.status == 403
    broadcasts = await page(web, f"/c/{a}/broadcasts")
    assert "No broadcasts yet." in broadcasts


async def test_a_broadcast_sent_now_reaches_the_members_and_its_report_fills_in(
    web: Client, world: World, dashboard_bot: BotApp
) -> None:
    await sign_in(web, world.ana)
    a = world.a.id
    _status, _body, location = await post(
        web,
        f"/c/{a}/broadcasts",
        {"body": "<b>Open day</b> on Friday", "audience": "all", "when": "now"},
        csrf_from=f"/c/{a}/broadcasts/new",
        status=303,
    )
    assert location is not None
    for patient in world.a_patients:
        received = await patient.next_message()
        assert "Open day on Friday" in (received.text or "")
    await dispatcher_of(dashboard_bot).run_until_idle()

    async def finished() -> bool:
        response = await web.get(f"{location}/progress.json")
        return bool((await response.json())["finished"])

    await eventually(finished, what="the broadcast finishing")
    progress = await (await web.get(f"{location}/progress.json")).json()
    assert progress["ended"], progress  # the page's script shows it without a reload
    report = await page(web, location)
    assert "<strong>Open day</strong> on Friday" in report  # as members read it
    assert "&lt;b&gt;" not in report
    assert "finished" in report
    assert "Ended:" in report
    assert "data-until-finished" not in report  # nothing left to cancel
    listing = await page(web, f"/c/{a}/broadcasts")
    assert "Open day on Friday</a>" in listing  # plain text, no markup
    assert "&lt;b&gt;" not in listing
    for patient in world.b_patients:
        assert all("Open day" not in (m.text or "") for m in patient.messages)


async def test_a_scheduled_broadcast_goes_out_when_its_time_comes_and_can_be_cancelled_before(
    web: Client, world: World, dashboard_bot: BotApp, clock: FakeClock
) -> None:
    await sign_in(web, world.ana)
    a = world.a.id
    zone = ZoneInfo(world.a.timezone)
    start = (clock.now() + timedelta(days=1)).astimezone(zone).replace(hour=10, minute=0)
    form = {
        "audience": "all",
        "when": "later",
        "day": start.date().isoformat(),
        "at": "10:00",
    }
    _s, _b, kept = await post(
        web,
        f"/c/{a}/broadcasts",
        {**form, "body": "Monday news"},
        csrf_from=f"/c/{a}/broadcasts/new",
        status=303,
    )
    # The cooldown between two broadcasts is counted from when each was confirmed.
    clock.advance(timedelta(minutes=11))
    _s, _b, dropped = await post(
        web,
        f"/c/{a}/broadcasts",
        {**form, "body": "Cancelled news"},
        csrf_from=f"/c/{a}/broadcasts/new",
        status=303,
    )
    assert kept is not None
    assert dropped is not None
    report = await page(web, dropped)
    assert "scheduled" in report
    assert "10:00" in report
    await post(web, f"{dropped}/cancel", {}, csrf_from=dropped, status=303)
    assert "cancelled" in await page(web, dropped)
    assert await advance_to(clock, dashboard_bot, start - timedelta(minutes=1)) == 0
    assert await advance_to(clock, dashboard_bot, start + timedelta(seconds=1)) == 3
    for patient in world.a_patients:
        texts = [m.text or "" for m in patient.messages]
        assert any("Monday news" in text for text in texts)
        assert not any("Cancelled news" in text for text in texts)
    # A day went by: the session ended; signing in again shows the report.
    await sign_in(web, world.ana)
    report = await page(web, kept)
    assert "Monday news" in report


async def test_a_broadcast_the_clinic_cannot_send_is_refused_with_the_reason(
    web: Client, world: World
) -> None:
    await sign_in(web, world.ana)
    a = world.a.id
    new = f"/c/{a}/broadcasts/new"
    for body, reason in (
        ("   ", "Write the message first."),
        ("<script>alert(1)</script>", "&lt;script&gt; is not a tag Telegram supports"),
        ("<b>unclosed", "&lt;b&gt; is not closed"),
        ("x" * 5000, "Telegram allows 4096"),
    ):
        _s, body_html, _l = await post(
            web,
            f"/c/{a}/broadcasts",
            {"body": body, "audience": "all", "when": "now"},
            csrf_from=new,
            status=400,
        )
        assert reason in body_html
        assert "<script>alert(1)</script>" not in body_html
    _s, past, _l = await post(
        web,
        f"/c/{a}/broadcasts",
        {"body": "Hi", "audience": "all", "when": "later", "day": "2020-01-01", "at": "09:00"},
        csrf_from=new,
        status=400,
    )
    assert "That time has passed" in past
    _s, odd, _l = await post(
        web,
        f"/c/{a}/broadcasts",
        {"body": "Hi", "audience": "done:3", "when": "now"},
        csrf_from=new,
        status=400,
    )
    assert "Choose who receives it." in odd
    assert "No broadcasts yet." in await page(web, f"/c/{a}/broadcasts")


async def test_send_me_a_test_goes_to_the_staff_members_own_chat_only(
    web: Client, world: World
) -> None:
    await sign_in(web, world.ana)
    a = world.a.id
    location, body = await submit(
        web,
        f"/c/{a}/broadcasts/test",
        {"body": "Trial <i>run</i>", "audience": "done:30", "when": "now"},
        csrf_from=f"/c/{a}/broadcasts/new",
    )
    assert location.startswith(f"/c/{a}/broadcasts/new?")
    assert "A test is on its way" in body
    assert "Trial &lt;i&gt;run&lt;/i&gt;" in body  # the text stays in the form
    assert 'value="done:30" checked' in body  # and so does the audience
    test = await world.ana.next_message()
    assert "Trial run" in (test.text or "")
    assert "Clínica Aurora" in (test.text or "")
    for patient in world.a_patients:
        assert all("Trial" not in (m.text or "") for m in patient.messages)


async def test_a_clinic_name_and_a_broadcast_with_script_are_shown_as_text(
    web: Client, dashboard_bot: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    clinic, invite = await make_clinic(bot_database, "<script>alert('x')</script> Spa", clock.now())
    owner = sandbox.user(601, first_name="Olga")
    await become_staff(owner, invite)
    await sign_in(web, owner)
    base = f"/c/{clinic.id}"
    _s, _b, location = await post(
        web,
        f"{base}/broadcasts",
        {"body": "Hi &lt;script&gt;alert(2)&lt;/script&gt;", "audience": "all", "when": "now"},
        csrf_from=f"{base}/broadcasts/new",
        status=303,
    )
    assert location is not None
    for path in (f"{base}/", f"{base}/broadcasts", location, f"{base}/guidance", f"{base}/team"):
        html = await page(web, path)
        assert "<script>alert" not in html, path
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Spa" in await page(web, f"{base}/")
    # Shown as members read it: the typed &lt;script&gt; is text, once escaped.
    assert "Hi &lt;script&gt;alert(2)&lt;/script&gt;" in await page(web, location)
    assert "Hi &lt;script&gt;alert(2)&lt;/script&gt;" in await page(web, f"{base}/broadcasts")


async def test_an_owner_changes_a_rule_with_a_reason_and_the_history_shows_it(
    web: Client, world: World, sandbox: Sandbox
) -> None:
    await sign_in(web, world.ana)
    a = world.a.id
    guidance = await page(web, f"/c/{a}/guidance")
    assert "Botox → microneedling" in guidance
    assert "No changes: the defaults apply." in guidance
    assert "<h3>Botox</h3>" in guidance
    assert "<h3>Microneedling</h3>" in guidance  # headings capitalised alike
    assert ">drpenskincare.com</a>" in guidance  # an address in a source shows its host
    location, body = await submit(
        web,
        f"/c/{a}/guidance",
        {
            "form": "rule",
            "rule": "botox:microneedling",
            "value": "21",
            "reason": "Our surgeon prefers three weeks",
            "version": "0",
        },
        csrf_from=f"/c/{a}/guidance",
    )
    assert "Version 1 saved" in body
    # The answer was a redirect: reading it again changes nothing and warns of nothing.
    again = await page(web, location)
    assert "Someone changed the guidance meanwhile" not in again
    assert again.count("Our surgeon prefers three weeks") == 1

    async def replanned() -> bool:
        return "Every active member" in await page(web, f"/c/{a}/guidance")

    await eventually(replanned, what="the re-plan finishing")
    after = await page(web, f"/c/{a}/guidance")
    assert "Our surgeon prefers three weeks" in after
    assert "14 days → 21 days" in after
    assert "Ana" in after
    # Overridden, the rule still shows where its default came from.
    assert "wait at least two weeks after Botox before microneedling" in after
    _s, stale, _l = await post(
        web,
        f"/c/{a}/guidance",
        {
            "form": "rule",
            "rule": "botox:microneedling",
            "value": "30",
            "reason": "r",
            "version": "0",
        },
        csrf_from=f"/c/{a}/guidance",
        status=409,
    )
    assert "nothing was applied" in stale
    _s, bad, _l = await post(
        web,
        f"/c/{a}/guidance",
        {
            "form": "rule",
            "rule": "botox:microneedling",
            "value": "soon",
            "reason": "r",
            "version": "1",
        },
        csrf_from=f"/c/{a}/guidance",
        status=400,
    )
    assert "Type a number of days" in bad


async def test_staff_who_are_not_owners_read_guidance_but_cannot_change_it_or_the_team(
    web: Client, world: World
) -> None:
    await sign_in(web, world.alba)
    a = world.a.id
    guidance = await page(web, f"/c/{a}/guidance")
    assert "Only the clinic's owners change its guidance." in guidance
    _s, refused, _l = await post(
        web,
        f"/c/{a}/guidance",
        {
            "form": "rule",
            "rule": "botox:microneedling",
            "value": "21",
            "reason": "r",
            "version": "0",
        },
        csrf_from=f"/c/{a}/guidance",
        status=403,
    )
    assert "No changes: the defaults apply." in refused
    team = await page(web, f"/c/{a}/team", status=403)
    assert "Only the clinic's owners manage its team." in team
    await post(web, f"/c/{a}/team/rotate-join", {}, csrf_from=f"/c/{a}/", status=403)


async def test_an_owner_changes_an_aftercare_note(web: Client, world: World) -> None:
    await sign_in(web, world.ana)
    a = world.a.id
    _location, body = await submit(
        web,
        f"/c/{a}/guidance",
        {
            "form": "aftercare",
            "procedure": "botox",
            "choice": "extend",
            "text": "Call us on 600 000 000 if anything worries you.",
            "reason": "Our number",
        },
        csrf_from=f"/c/{a}/guidance",
    )
    assert "The aftercare note is saved." in body
    assert "Call us on 600 000 000" in body
    _s, refused, _l = await post(
        web,
        f"/c/{a}/guidance",
        {"form": "aftercare", "procedure": "botox", "choice": "extend", "text": "x", "reason": ""},
        csrf_from=f"/c/{a}/guidance",
        status=400,
    )
    assert "Write the note and a reason" in refused


async def test_the_team_page_invites_revokes_rotates_and_removes(
    web: Client, world: World, sandbox: Sandbox
) -> None:
    await sign_in(web, world.ana)
    a = world.a.id
    team = f"/c/{a}/team"
    before = await page(web, team)
    assert "Ana" in before
    assert "Alba" in before
    _l, invited = await submit(web, f"{team}/invite", {"role": "staff"}, csrf_from=team)
    assert "Invite created" in invited
    assert "?start=s_" in invited
    listing = await page(web, team)
    invite_id = listing.split('name="invite" value="')[1].split('"')[0]
    _l, revoked = await submit(web, f"{team}/revoke", {"invite": invite_id}, csrf_from=team)
    assert "Invite revoked." in revoked
    old_join = before.split("?start=j_")[1].split("<")[0]
    _l, rotated = await submit(web, f"{team}/rotate-join", {}, csrf_from=team)
    assert "New join link" in rotated
    assert old_join not in rotated
    _s, last, _l = await post(
        web, f"{team}/remove", {"member": str(world.ana.id)}, csrf_from=team, status=409
    )
    assert "at least one owner" in last


async def test_a_member_removed_from_the_team_is_signed_out_at_once(
    web: Client, world: World, dashboard_bot: BotApp
) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.app import dashboard_services
    from bot.web.dashboard import build_dashboard

    a = world.a.id
    async with TestClient(TestServer(build_dashboard(dashboard_services(dashboard_bot)))) as alba:
        await sign_in(alba, world.alba)
        await page(alba, f"/c/{a}/")
        await sign_in(web, world.ana)
        _l, removed = await submit(
            web, f"/c/{a}/team/remove", {"member": str(world.alba.id)}, csrf_from=f"/c/{a}/team"
        )
        assert "Removed from the team." in removed
        response = await alba.get(f"/c/{a}/", allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"] == "/"
        assert "Max-Age=0" in response.headers.get("Set-Cookie", "")
        assert (await alba.get("/broadcasts", allow_redirects=False)).status == 404


async def test_a_member_who_turned_clinic_news_off_before_the_start_is_counted_as_skipped(
    web: Client, world: World, dashboard_bot: BotApp, clock: FakeClock, bot_database: Database
) -> None:
    await sign_in(web, world.ana)
    a = world.a.id
    zone = ZoneInfo(world.a.timezone)
    start = (clock.now() + timedelta(days=1)).astimezone(zone).replace(hour=10, minute=0)
    _s, _b, location = await post(
        web,
        f"/c/{a}/broadcasts",
        {
            "body": "Monday news",
            "audience": "all",
            "when": "later",
            "day": start.date().isoformat(),
            "at": "10:00",
        },
        csrf_from=f"/c/{a}/broadcasts/new",
        status=303,
    )
    assert location is not None
    quiet = world.a_patients[0]
    await quiet.send("/settings")
    await press_and_wait_for_edit(quiet, await quiet.next_message(), "🔕 Turn clinic news off")
    assert await advance_to(clock, dashboard_bot, start + timedelta(seconds=1)) == 2
    assert not any("Monday news" in (m.text or "") for m in quiet.messages)
    report = await broadcast_report(bot_database, a, int(location.rsplit("/", 1)[1]), world.ana.id)
    assert report is not None
    assert [(o.reason, o.count) for o in report.outcomes if o.skipped] == [
        ("skipped: the patient turned clinic messages off", 1)
    ]
    await sign_in(web, world.ana)  # a day went by: the session ended
    assert "skipped: the patient turned clinic messages off" in await page(web, location)
