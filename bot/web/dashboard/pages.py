"""The dashboard's pages: each parses the request, calls one use-case and renders a template.

Clinic pages live under `/c/{clinic_id}/`. The id in the URL is only a request: `clinic`
resolves it against the session's staff member on every request, so another clinic's page
is a 404 and a member removed from their only clinic is signed out at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.i18n import Translator
from bot.parsing.telegram_html import TelegramHtmlError, check_telegram_html
from bot.render.broadcasts import MAX_MESSAGE_LENGTH, compose, longest_length
from bot.render.counts import shown
from bot.render.staff import audience_text, days_text, rule_name
from bot.render.team_screens import role_name
from bot.render.words import capitalised, procedure_name
from bot.usecases import dashboard as uc
from bot.usecases.aftercare import (
    BadAftercareError,
    aftercare_view,
    change_aftercare,
)
from bot.usecases.broadcasts import (
    Audience,
    cancel_broadcast,
    confirm_broadcast,
    draft_broadcast,
)
from bot.usecases.clinics import NotStaffError, deep_link, invite_payload, join_payload
from bot.usecases.guidance import (
    MAX_REASON_LENGTH,
    BadRuleValueError,
    change_rule,
    guidance_view,
    parse_rule_value,
)
from bot.usecases.team import (
    NotOwnerError,
    create_invite,
    remove_member,
    revoke_invite,
    rotate_join_link,
    team,
)
from bot.web.dashboard.app import (
    SERVICES,
    DashboardServices,
    language_of,
    render,
    session_of,
    sign_in,
    sign_out,
)
from bot.web.dashboard.charts import bar_chart, line_chart
from bot.web.dashboard.message import as_shown, excerpt, source_html
from bot.web.dashboard.sessions import Session, new_session
from bot.web.dashboard.webapp import verified_user_id
from rules import Procedure
from storage.dashboard import WEEK
from storage.records import Broadcast, BroadcastState, StaffRole

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    """A signed-in request on one clinic's pages."""

    request: web.Request
    services: DashboardServices
    session: Session
    access: uc.Access
    t: Translator

    @property
    def user_id(self) -> int:
        """The signed-in staff member's Telegram user id."""
        return self.session.user_id

    @property
    def clinic_id(self) -> int:
        """The clinic of the page."""
        return self.access.clinic.id

    @property
    def now(self) -> datetime:
        """The process clock's now."""
        return self.services.clock.now()

    def render(self, template: str, *, status: int = 200, **context: object) -> web.Response:
        """A clinic page: the layout gets the clinic, the role and the navigation."""
        return render(
            self.request,
            template,
            status=status,
            access=self.access,
            clinic=self.access.clinic,
            base=f"/c/{self.clinic_id}",
            count=lambda n: shown(n, self.t),
            **context,
        )

    def done(self, path: str, key: str, **numbers: int) -> web.HTTPSeeOther:
        """Post/Redirect/Get: the 303 to raise for a form that worked, with a notice key.

        A reload then reads the page again instead of posting the form twice. The URL
        carries only a fixed key of `notice_of` and our own numbers, never what was typed.
        """
        query = urlencode({"done": key, **numbers})
        return web.HTTPSeeOther(f"/c/{self.clinic_id}{path}?{query}")

    def number(self, name: str) -> int | None:
        """A whole number from the query string (a version, an invite), if there is one."""
        try:
            return int(self.request.query.get(name, ""))
        except ValueError:
            return None


def notice_of(page: Page) -> str | None:
    """The notice for the `done` key a form's redirect carried; None for none or unknown."""
    t = page.t
    key = page.request.query.get("done")
    if key == "rule-saved":
        version = page.number("version")
        if version is None:
            return None
        return t.gettext(
            "Version {version} saved; members' reminders are being re-planned."
        ).format(version=version)
    notices = {
        "test-sent": t.gettext("A test is on its way to your chat with the bot."),
        "rule-same": t.gettext("That is the rule already."),
        "aftercare-saved": t.gettext("The aftercare note is saved."),
        "aftercare-same": t.gettext("Nothing changed."),
        "invited": t.gettext("Invite created: send this link to the new member."),
        "revoked": t.gettext("Invite revoked."),
        "revoke-gone": t.gettext("That invite is gone already."),
        "removed": t.gettext("Removed from the team."),
        "not-member": t.gettext("Not a member of the team."),
        "rotated": t.gettext("New join link: the old one no longer works; members stay members."),
    }
    return notices.get(key or "")


PageHandler = Callable[[Page], Awaitable[web.StreamResponse]]


def clinic_page(handler: PageHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Resolve the session and the clinic before a clinic page; refuse everyone else."""

    async def page(request: web.Request) -> web.StreamResponse:
        services = request.app[SERVICES]
        session = session_of(request)
        if session is None:
            raise web.HTTPSeeOther("/")
        try:
            clinic_id = int(request.match_info["clinic_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        found = await uc.access(services.core.database, clinic_id, session.user_id)
        if found is None:
            if not await uc.clinics_of(services.core.database, session.user_id):
                # No longer staff anywhere: signed out at once.
                sign_out(request)
                raise web.HTTPSeeOther("/")
            raise web.HTTPNotFound()
        return await handler(Page(request, services, session, found, language_of(request)))

    return page


# --- signing in and out ----------------------------------------------------------------------


async def home(request: web.Request) -> web.StreamResponse:
    """The sign-in page, or the signed-in member's clinic (a choice if several)."""
    services = request.app[SERVICES]
    session = session_of(request)
    if session is not None:
        clinics = await uc.clinics_of(services.core.database, session.user_id)
        if len(clinics) == 1:
            raise web.HTTPSeeOther(f"/c/{clinics[0].id}/")
        if clinics:
            return render(request, "choose.html", clinics=clinics)
        sign_out(request)
    return render(request, "signin.html", refused=False)


async def signin_link(request: web.Request) -> web.StreamResponse:
    """A sign-in link from the bot: single use, 10 minutes, one staff member."""
    services = request.app[SERVICES]
    token = request.match_info["token"]
    signed = await uc.redeem_signin(services.core.database, token, services.clock.now())
    if signed is None:
        sign_out(request)
        return render(request, "signin.html", status=403, refused=True)
    sign_in(request, new_session(signed.telegram_user_id, signed.language, services.clock.now()))
    raise web.HTTPSeeOther(f"/c/{signed.clinic_id}/")


async def webapp_signin(request: web.Request) -> web.StreamResponse:
    """The Mini App posts Telegram's initData; valid and fresh signs the staff member in."""
    services = request.app[SERVICES]
    form = await request.post()
    init_data = form.get("init_data")
    now = services.clock.now()
    user_id = (
        verified_user_id(init_data, services.settings.token(), now)
        if isinstance(init_data, str)
        else None
    )
    signed = (
        None
        if user_id is None
        else await uc.signin_by_telegram(services.core.database, user_id, now)
    )
    if signed is None:
        return web.json_response({"ok": False}, status=403)
    sign_in(request, new_session(signed.telegram_user_id, signed.language, now))
    return web.json_response({"ok": True, "redirect": f"/c/{signed.clinic_id}/"})


async def signout(request: web.Request) -> web.StreamResponse:
    """Sign out (a form with the CSRF token)."""
    sign_out(request)
    raise web.HTTPSeeOther("/")


# --- overview --------------------------------------------------------------------------------


@clinic_page
async def overview(page: Page) -> web.StreamResponse:
    """Members, reminders, bookings, what comes in 14 days, and two charts."""
    found = await uc.overview(page.services.core.database, page.clinic_id, page.user_id, page.now)
    figures, weekly = found.figures, found.weekly
    t = page.t
    zone = ZoneInfo(page.access.clinic.timezone)
    labels = [
        t.short_date((weekly.start + WEEK * (i + 1)).astimezone(zone).date())
        for i in range(len(weekly.members))
    ]
    conversion = None
    if figures.reminders_30d >= 5 and figures.booked_30d >= 5:
        conversion = round(100 * figures.booked_30d / figures.reminders_30d, 1)
    members_chart = line_chart(t.gettext("Members at the end of each week"), labels, weekly.members)
    weekly_chart = bar_chart(
        t.gettext("Reminders sent and bookings per week"),
        labels,
        weekly.reminders,
        weekly.booked,
        (t.gettext("Reminders sent"), t.gettext("Booked after a reminder")),
    )
    rows = list(zip(labels, weekly.members, weekly.reminders, weekly.booked, strict=True))
    return page.render(
        "overview.html",
        figures=figures,
        conversion=conversion,
        members_chart=members_chart,
        weekly_chart=weekly_chart,
        rows=rows,
    )


# --- broadcasts ------------------------------------------------------------------------------


def _state_label(broadcast: Broadcast, t: Translator) -> str:
    started = broadcast.sent + broadcast.failed > 0
    if broadcast.state is BroadcastState.SENDING and broadcast.scheduled_for and not started:
        return t.gettext("scheduled")
    return {
        BroadcastState.DRAFT: t.gettext("draft"),
        BroadcastState.QUEUED: t.gettext("sending"),
        BroadcastState.SENDING: t.gettext("sending"),
        BroadcastState.DONE: t.gettext("finished"),
        BroadcastState.CANCELLED: t.gettext("cancelled"),
    }[broadcast.state]


def _local(at: datetime | None, page: Page) -> str:
    if at is None:
        return ""
    local = at.astimezone(ZoneInfo(page.access.clinic.timezone))
    return f"{page.t.long_date(local.date())} {local:%H:%M}"


@clinic_page
async def broadcasts(page: Page) -> web.StreamResponse:
    """Past and scheduled broadcasts with their figures."""
    found = await uc.broadcast_list(page.services.core.database, page.clinic_id, page.user_id)
    return page.render(
        "broadcasts.html",
        broadcasts=[(b, _state_label(b, page.t), _local(b.queued_at, page)) for b in found],
        local=lambda at: _local(at, page),
        excerpt=excerpt,
    )


def _audience_key(audience: Audience) -> str:
    return "all" if audience.days is None else f"{audience.kind}:{audience.days}"


def _audience_of(value: object) -> Audience | None:
    if not isinstance(value, str):
        return None
    kind, _, days = value.partition(":")
    try:
        return Audience(kind, int(days) if days else None)  # type: ignore[arg-type]
    except ValueError:
        return None


async def _compose_page(
    page: Page,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    kept: dict[str, str] | None = None,
) -> web.Response:
    kept = kept or {}
    if not kept and notice is None and error is None:
        notice = notice_of(page)
        # Back from "send me a test": the form shows the draft that was sent.
        draft = await _own_draft(page, page.request.query.get("draft"))
        if draft is not None:
            kept = {"body": draft.text}
            kept["audience"] = _audience_key(Audience.from_json(draft.audience))
    reach = await uc.audience_reach(
        page.services.core.database, page.clinic_id, page.user_id, page.now
    )
    options = [(_audience_key(a), audience_text(a, page.t), r.recipients) for a, r in reach]
    local_now = page.now.astimezone(ZoneInfo(page.access.clinic.timezone))
    return page.render(
        "compose.html",
        status=status,
        options=options,
        body=kept.get("body", ""),
        audience=kept.get("audience", "all"),
        error=error,
        notice=notice,
        when=kept.get("when", "now"),
        day=kept.get("day") or local_now.date().isoformat(),
        at=kept.get("at") or f"{local_now:%H:%M}",
        timezone=page.access.clinic.timezone,
    )


@clinic_page
async def new_broadcast(page: Page) -> web.StreamResponse:
    """The compose form: text, audience with counts, now or later."""
    return await _compose_page(page)


def _body_error(body: str, clinic_name: str, t: Translator) -> str | None:
    """Why a body cannot go out (as in the chat: empty, too long, HTML Telegram refuses)."""
    if not body.strip():
        return t.gettext("Write the message first.")
    length = longest_length(body, clinic_name)
    if length > MAX_MESSAGE_LENGTH:
        return t.gettext(
            "The message is {length} characters with its footer; Telegram allows {most}."
        ).format(length=length, most=MAX_MESSAGE_LENGTH)
    try:
        check_telegram_html(body)
    except TelegramHtmlError as exc:
        return t.gettext("Telegram would not accept this formatting: {detail}").format(
            detail=str(exc)
        )
    return None


async def _own_draft(page: Page, value: object) -> Broadcast | None:
    """The signed-in member's own unsent draft with this id (from a form or a URL), if any."""
    if not isinstance(value, str) or not value.isdigit():
        return None
    found = await uc.broadcast_report(
        page.services.core.database, page.clinic_id, int(value), page.user_id
    )
    if found is None:
        return None
    draft = found.broadcast
    if draft.author_user_id != page.user_id or draft.state is not BroadcastState.DRAFT:
        return None
    return draft


def _kept(form: dict[str, str]) -> dict[str, str]:
    """What the compose form shows again after a refusal."""
    keys = {"body": "", "audience": "all", "when": "now", "day": "", "at": ""}
    return {key: form.get(key, default) for key, default in keys.items()}


async def _form(page: Page) -> dict[str, str]:
    form = await page.request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}


@clinic_page
async def test_broadcast(page: Page) -> web.StreamResponse:
    """Send me a test: the message exactly as members get it, to my own chat.

    The text is kept as an unsent draft (drafts are never listed) and the answer redirects
    to the form showing it, so that a reload does not send the test again.
    """
    form = await _form(page)
    body = form.get("body", "")
    kept = _kept(form)
    error = _body_error(body, page.access.clinic.name, page.t)
    if error is not None:
        return await _compose_page(page, status=400, error=error, kept=kept)
    refused = await page.services.send_message(
        page.user_id, compose(body, page.access.clinic.name, page.t)
    )
    if refused is not None:
        message = page.t.gettext("Telegram would not accept this formatting: {detail}")
        return await _compose_page(
            page, status=400, error=message.format(detail=refused), kept=kept
        )
    try:
        stored = await draft_broadcast(
            page.services.core.database,
            page.clinic_id,
            page.user_id,
            body=body,
            audience=_audience_of(form.get("audience")) or Audience("all", None),
            now=page.now,
        )
    except NotStaffError:
        raise web.HTTPNotFound() from None
    raise page.done("/broadcasts/new", "test-sent", draft=stored.broadcast.id)


@clinic_page
async def send_broadcast(page: Page) -> web.StreamResponse:
    """Send now or schedule: a draft confirmed at once, its deliveries due now or then."""
    t = page.t
    form = await _form(page)
    body = form.get("body", "")
    when = form.get("when", "now")
    kept = _kept(form)
    error = _body_error(body, page.access.clinic.name, t)
    audience = _audience_of(form.get("audience"))
    if error is None and audience is None:
        error = t.gettext("Choose who receives it.")
    start_at = None
    if error is None and when == "later":
        try:
            start_at = uc.local_instant(page.access.clinic, kept["day"], kept["at"])
        except ValueError:
            error = t.gettext("Give the date and time it should go out.")
        if start_at is not None and start_at <= page.now:
            error = t.gettext("That time has passed: choose a later one.")
    if error is not None or audience is None:
        return await _compose_page(page, status=400, error=error, kept=kept)
    services = page.services
    try:
        stored = await draft_broadcast(
            services.core.database,
            page.clinic_id,
            page.user_id,
            body=body,
            audience=audience,
            now=page.now,
        )
    except NotStaffError:
        raise web.HTTPNotFound() from None
    outcome = await confirm_broadcast(
        services.core.database,
        page.clinic_id,
        stored.broadcast.id,
        page.user_id,
        language=t.language,
        now=page.now,
        limits=services.limits,
        start_at=start_at,
    )
    if outcome.kind == "limited" and outcome.limited is not None:
        await cancel_broadcast(
            services.core.database, page.clinic_id, stored.broadcast.id, page.user_id, page.now
        )
        message = t.gettext("Your clinic has broadcast recently: try again after {when}.")
        return await _compose_page(
            page,
            status=409,
            error=message.format(when=_local(outcome.limited.until, page)),
            kept=kept,
        )
    if outcome.broadcast is None:
        raise web.HTTPConflict()
    if start_at is None:
        services.wake_dispatcher()
    raise web.HTTPSeeOther(f"/c/{page.clinic_id}/broadcasts/{outcome.broadcast.id}")


def _broadcast_id(page: Page) -> int:
    try:
        return int(page.request.match_info["broadcast_id"])
    except ValueError:
        raise web.HTTPNotFound() from None


def _progress(report: uc.Report, page: Page) -> dict[str, object]:
    """The report's figures as shown (counts below 5 as "fewer than 5")."""
    t = page.t
    broadcast = report.broadcast
    return {
        "state": _state_label(broadcast, t),
        "finished": report.finished,
        "total": shown(broadcast.total, t),
        "delivered": shown(broadcast.sent, t),
        "blocked": shown(broadcast.blocked, t),
        "failed": shown(report.failed, t),
        "skipped": shown(report.skipped, t),
        "waiting": shown(report.waiting, t),
        # When it ended (empty until it has): the page's script shows it once finished.
        "ended": _local(broadcast.finished_at, page) if report.finished else "",
    }


@clinic_page
async def report(page: Page) -> web.StreamResponse:
    """One broadcast: its text, audience, figures and the reasons for what did not arrive."""
    found = await uc.broadcast_report(
        page.services.core.database, page.clinic_id, _broadcast_id(page), page.user_id
    )
    if found is None:
        raise web.HTTPNotFound()
    t = page.t
    reasons = [(reason, shown(count, t)) for reason, count in found.reasons]
    broadcast = found.broadcast
    audience = Audience.from_json(broadcast.audience)
    can_cancel = broadcast.author_user_id == page.user_id and broadcast.state in (
        BroadcastState.DRAFT,
        BroadcastState.SENDING,
    )
    return page.render(
        "report.html",
        broadcast=broadcast,
        shown_body=as_shown(broadcast.text),
        audience=audience_text(audience, t),
        progress=_progress(found, page),
        reasons=reasons,
        can_cancel=can_cancel,
        scheduled=_local(broadcast.scheduled_for, page),
        queued=_local(broadcast.queued_at, page),
    )


@clinic_page
async def progress_json(page: Page) -> web.StreamResponse:
    """The report's figures for the page's script (live progress without reloading)."""
    found = await uc.broadcast_report(
        page.services.core.database, page.clinic_id, _broadcast_id(page), page.user_id
    )
    if found is None:
        raise web.HTTPNotFound()
    return web.json_response(_progress(found, page))


@clinic_page
async def cancel(page: Page) -> web.StreamResponse:
    """Cancel a scheduled broadcast, or stop one being delivered (its author only)."""
    broadcast_id = _broadcast_id(page)
    await cancel_broadcast(
        page.services.core.database, page.clinic_id, broadcast_id, page.user_id, page.now
    )
    raise web.HTTPSeeOther(f"/c/{page.clinic_id}/broadcasts/{broadcast_id}")


# --- guidance and aftercare ------------------------------------------------------------------


async def _guidance_page(
    page: Page, *, status: int = 200, error: str | None = None, notice: str | None = None
) -> web.Response:
    services = page.services
    t = page.t
    if error is None and notice is None:
        notice = notice_of(page)
    found = await guidance_view(
        services.core.database, page.clinic_id, page.user_id, page.now, history_limit=100
    )
    names = await uc.staff_names(services.core.database, page.clinic_id, page.user_id)
    replan = await uc.replan_state(services.core.database, page.clinic_id, page.user_id)
    defaults = {(r.after, r.then): r.default_days for r in found.rules}
    rules = [
        {
            "key": f"{r.after.value}:{r.then.value}",
            "name": rule_name(r.after, r.then, t),
            "days": days_text(r.days, t),
            "default": days_text(r.default_days, t),
            "overridden": r.overridden,
            "source": source_html(r.default_source or ""),
        }
        for r in found.rules
        if r.default_days is not None or r.overridden
    ]
    history = []
    for change in found.history:
        default = defaults.get((change.after, change.then))
        old = default if change.old_default else change.old_days
        new = default if change.new_default else change.new_days
        who = (
            t.gettext("the operator")
            if change.changed_by is None
            else names.get(change.changed_by) or t.gettext("a former staff member")
        )
        history.append(
            {
                "version": change.version,
                "rule": rule_name(change.after, change.then, t),
                "old": days_text(old, t),
                "new": days_text(new, t),
                "who": who,
                "when": _local(change.changed_at, page),
                "reason": change.reason,
            }
        )
    aftercare = []
    for procedure in Procedure:
        view = await aftercare_view(services.core.database, page.clinic_id, page.user_id, procedure)
        aftercare.append(
            {
                "procedure": procedure.value,
                "name": capitalised(procedure_name(procedure, t)),
                "defaults": [
                    (line.in_language(t.language), source_html(line.source))
                    for line in view.defaults
                ],
                "mode": view.change.mode if view.change else "default",
                "text": view.change.text if view.change and view.change.text else "",
                "changed": _local(view.change.changed_at, page) if view.change else "",
            }
        )
    return page.render(
        "guidance.html",
        status=status,
        error=error,
        notice=notice,
        view=found,
        rules=rules,
        history=history,
        replan=replan,
        aftercare=aftercare,
        max_reason=MAX_REASON_LENGTH,
    )


@clinic_page
async def guidance(page: Page) -> web.StreamResponse:
    """The rules beside the defaults, their history, re-planning, and aftercare notes."""
    return await _guidance_page(page)


@clinic_page
async def change_guidance(page: Page) -> web.StreamResponse:
    """An owner changes one rule (with a reason), or a procedure's aftercare note."""
    form = await _form(page)
    if form.get("form") == "aftercare":
        return await _change_aftercare(page, form)
    t = page.t
    try:
        after_value, _, then_value = form.get("rule", "").partition(":")
        after, then = Procedure(after_value), Procedure(then_value)
        value = parse_rule_value(form.get("value", ""))
        version = int(form.get("version", ""))
    except (ValueError, BadRuleValueError):
        error = t.gettext("Type a number of days (0 to 365), off or default.")
        return await _guidance_page(page, status=400, error=error)
    reason = form.get("reason", "").strip()
    if not reason or len(reason) > MAX_REASON_LENGTH:
        error = t.gettext("Give a reason of 1 to {most} characters.").format(most=MAX_REASON_LENGTH)
        return await _guidance_page(page, status=400, error=error)
    done = await change_rule(
        page.services.core.database,
        page.clinic_id,
        page.user_id,
        after=after,
        then=then,
        value=value,
        reason=reason,
        expected_version=version,
        now=page.now,
    )
    if done.kind in ("not_owner", "not_allowed"):
        return await _guidance_page(
            page, status=403, error=t.gettext("Only the clinic's owners change its guidance.")
        )
    if done.kind == "out_of_date":
        error = t.gettext("Someone changed the guidance meanwhile: nothing was applied.")
        return await _guidance_page(page, status=409, error=error)
    if done.kind == "unchanged" or done.change is None:
        raise page.done("/guidance", "rule-same")
    page.services.queue_replan(page.clinic_id, done.change.version, page.user_id, t.language)
    raise page.done("/guidance", "rule-saved", version=done.change.version)


async def _change_aftercare(page: Page, form: dict[str, str]) -> web.Response:
    t = page.t
    choice = form.get("choice", "")
    try:
        procedure = Procedure(form.get("procedure", ""))
    except ValueError:
        raise web.HTTPBadRequest() from None
    if choice not in ("replace", "extend", "default"):
        raise web.HTTPBadRequest()
    try:
        changed = await change_aftercare(
            page.services.core.database,
            page.clinic_id,
            page.user_id,
            procedure,
            choice=choice,  # type: ignore[arg-type]
            text=form.get("text"),
            reason=form.get("reason", ""),
            now=page.now,
        )
    except BadAftercareError:
        error = t.gettext("Write the note and a reason (each within its length).")
        return await _guidance_page(page, status=400, error=error)
    except (NotOwnerError, NotStaffError):
        error = t.gettext("Only the clinic's owners change its aftercare notes.")
        return await _guidance_page(page, status=403, error=error)
    if changed is None:
        raise page.done("/guidance", "aftercare-same")
    raise page.done("/guidance", "aftercare-saved")


# --- team ------------------------------------------------------------------------------------


async def _team_page(
    page: Page,
    *,
    status: int = 200,
    notice: str | None = None,
    link: str | None = None,
    error: str | None = None,
) -> web.Response:
    t = page.t
    if not page.access.is_owner:
        return page.render("team.html", status=403, owners_only=True)
    found = await team(page.services.core.database, page.clinic_id, page.user_id, page.now)
    username = page.services.bot_username()
    if error is None and notice is None:
        notice = notice_of(page)
        key = page.request.query.get("done")
        # The link just made is shown on its own, ready to copy.
        if key == "invited":
            made = [i for i in found.invites if i.id == page.number("invite")]
            link = deep_link(username, invite_payload(made[0])) if made else None
        elif key == "rotated":
            link = deep_link(username, join_payload(found.clinic))
    members = [
        {
            "id": m.telegram_user_id,
            "name": m.display_name or t.gettext("(no name)"),
            "role": role_name(m.role, t),
            "you": m.telegram_user_id == page.user_id,
            "since": _local(m.added_at, page),
        }
        for m in found.members
    ]
    invites = [
        {
            "id": i.id,
            "role": role_name(i.role, t),
            "expires": _local(i.expires_at, page),
            "link": deep_link(username, invite_payload(i)),
        }
        for i in found.invites
    ]
    return page.render(
        "team.html",
        status=status,
        owners_only=False,
        members=members,
        invites=invites,
        join_link=deep_link(username, join_payload(found.clinic)),
        notice=notice,
        link=link,
        error=error,
    )


@clinic_page
async def team_page(page: Page) -> web.StreamResponse:
    """Staff with roles, open invites, and the patients' join link (owners only)."""
    return await _team_page(page)


async def _invite(page: Page, form: dict[str, str]) -> web.Response:
    role = StaffRole.OWNER if form.get("role") == "owner" else StaffRole.STAFF
    services = page.services
    invite = await create_invite(
        services.core.database, page.clinic_id, role, page.user_id, page.now
    )
    raise page.done("/team", "invited", invite=invite.id)


async def _revoke(page: Page, form: dict[str, str]) -> web.Response:
    invite = int(form.get("invite", ""))
    done = await revoke_invite(
        page.services.core.database, page.clinic_id, invite, page.user_id, page.now
    )
    raise page.done("/team", "revoked" if done else "revoke-gone")


async def _remove(page: Page, form: dict[str, str]) -> web.Response:
    t = page.t
    member = int(form.get("member", ""))
    removal = await remove_member(
        page.services.core.database, page.clinic_id, member, page.user_id, page.now
    )
    if removal.kind == "last_owner":
        error = t.gettext("A clinic keeps at least one owner.")
        return await _team_page(page, status=409, error=error)
    if removal.kind == "done" and member == page.user_id:
        # They removed themselves: this clinic's pages are no longer theirs.
        raise web.HTTPSeeOther("/")
    raise page.done("/team", "removed" if removal.kind == "done" else "not-member")


async def _rotate(page: Page, form: dict[str, str]) -> web.Response:
    await rotate_join_link(page.services.core.database, page.clinic_id, page.user_id, page.now)
    raise page.done("/team", "rotated")


TEAM_ACTIONS: dict[str, Callable[[Page, dict[str, str]], Awaitable[web.Response]]] = {
    "invite": _invite,
    "revoke": _revoke,
    "remove": _remove,
    "rotate-join": _rotate,
}


@clinic_page
async def team_action(page: Page) -> web.StreamResponse:
    """invite, revoke, remove, rotate-join: the same use-cases as the chat and the CLI."""
    action = TEAM_ACTIONS.get(page.request.match_info["action"])
    if action is None:
        raise web.HTTPNotFound()
    form = await _form(page)
    if not page.access.is_owner:
        return page.render("team.html", status=403, owners_only=True)
    try:
        return await action(page, form)
    except ValueError:
        raise web.HTTPBadRequest() from None
    except (NotOwnerError, NotStaffError):
        return page.render("team.html", status=403, owners_only=True)


def add_routes(app: web.Application) -> None:
    """Every route of the dashboard (docs/dashboard.md lists what each shows)."""
    r = app.router
    r.add_get("/", home)
    r.add_get("/signin/{token}", signin_link)
    r.add_post("/webapp-signin", webapp_signin)
    r.add_post("/signout", signout)
    r.add_get("/c/{clinic_id}/", overview)
    r.add_get("/c/{clinic_id}/broadcasts", broadcasts)
    r.add_post("/c/{clinic_id}/broadcasts", send_broadcast)
    r.add_get("/c/{clinic_id}/broadcasts/new", new_broadcast)
    r.add_post("/c/{clinic_id}/broadcasts/test", test_broadcast)
    r.add_get("/c/{clinic_id}/broadcasts/{broadcast_id}", report)
    r.add_get("/c/{clinic_id}/broadcasts/{broadcast_id}/progress.json", progress_json)
    r.add_post("/c/{clinic_id}/broadcasts/{broadcast_id}/cancel", cancel)
    r.add_get("/c/{clinic_id}/guidance", guidance)
    r.add_post("/c/{clinic_id}/guidance", change_guidance)
    r.add_get("/c/{clinic_id}/team", team_page)
    r.add_post("/c/{clinic_id}/team/{action}", team_action)
