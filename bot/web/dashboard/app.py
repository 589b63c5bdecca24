"""The dashboard's aiohttp application: routes, security headers, sessions and CSRF.

Like a handler, every page parses the request, calls the same use-cases as the chat flows
(bot/usecases/*) and renders a template. What every page shares lives here, in three
middlewares, never in a page: security headers (a strict Content-Security-Policy with no
inline script, no framing but by Telegram), the signed session cookie with its idle
timeout, and the CSRF check of every form.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot.clock import Clock
from bot.config import Settings
from bot.context import Services
from bot.i18n import Translator, normalise_language, translator
from bot.usecases.broadcasts import SendingLimits
from bot.web.dashboard.sessions import COOKIE, IDLE_TIMEOUT, Session, SessionCodec

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Telegram's clients open a Mini App in a frame of these origins (web.telegram.org).
TELEGRAM_FRAMES = "https://web.telegram.org https://*.telegram.org"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    f"frame-ancestors 'self' {TELEGRAM_FRAMES}"
)
# Forms that need no session: the Mini App's sign-in posts Telegram's signed initData.
NO_CSRF = frozenset({"/webapp-signin"})


@dataclass(frozen=True)
class DashboardServices:
    """What the pages use; built once in the composition root (bot/app.py)."""

    # The process's services, the same the chat handlers get (bot.context.Services).
    core: Services
    # Send HTML to a chat (the "send me a test" button); Telegram's refusal, or None.
    send_message: Callable[[int, str], Awaitable[str | None]]
    # Re-plan a clinic's members after a guidance change: (clinic, version, actor, language).
    queue_replan: Callable[[int, int, int, str], None]
    # The bot's @username, for invite and join links.
    bot_username: Callable[[], str]

    @property
    def settings(self) -> Settings:
        """The process settings."""
        return self.core.settings

    @property
    def clock(self) -> Clock:
        """The process clock (a fake one in tests)."""
        return self.core.clock

    @property
    def limits(self) -> SendingLimits:
        """How often a clinic may broadcast."""
        return self.core.sending_limits

    def wake_dispatcher(self) -> None:
        """Send the outbox now (a broadcast due now was queued)."""
        self.core.dispatcher.wake()


@dataclass
class SessionState:
    """The request's session as the middleware read it, and whether the cookie must change."""

    session: Session | None
    changed: bool


SERVICES = web.AppKey("services", DashboardServices)
STATE = web.RequestKey("dashboard_session", SessionState)
CODEC = web.AppKey("codec", SessionCodec)
TEMPLATES = web.AppKey("templates", Environment)


def templates() -> Environment:
    """The Jinja2 environment: package templates, autoescaped, gettext from each request."""
    return Environment(
        loader=PackageLoader("bot.web.dashboard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )


def session_of(request: web.Request) -> Session | None:
    """The request's signed-in session, if any."""
    state = request.get(STATE)
    return None if state is None else state.session


def language_of(request: web.Request) -> Translator:
    """The page's language: the staff member's, else the browser's first choice."""
    session = session_of(request)
    if session is not None and session.language:
        return translator(session.language)
    header = request.headers.get("Accept-Language", "")
    first = header.split(",")[0].split(";")[0].strip()
    return translator(normalise_language(first or None))


def sign_in(request: web.Request, session: Session) -> None:
    """Make `session` the request's: its cookie is set on the response."""
    request[STATE] = SessionState(session, changed=True)


def sign_out(request: web.Request) -> None:
    """End the request's session: its cookie is deleted on the response."""
    request[STATE] = SessionState(None, changed=True)


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """A page from a template, in the request's language."""
    t = language_of(request)

    def gettext(message: str, **values: Any) -> Markup:
        # Our catalogs are trusted markup; the values put into them are escaped.
        text = Markup(t.gettext(message))
        return text.format(**values) if values else text

    def ngettext(singular: str, plural: str, n: int, **values: Any) -> Markup:
        return Markup(t.ngettext(singular, plural, n)).format(n=n, **values)

    def static(name: str) -> str:
        # With a hash of the file in the URL: a new version is never served from a cache.
        return str(request.app.router["static"].url_for(filename=name))

    session = session_of(request)
    page = (
        request.app[TEMPLATES]
        .get_template(template)
        .render(
            static=static,
            _=gettext,
            gettext=gettext,
            ngettext=ngettext,
            t=t,
            language=t.language,
            csrf=session.csrf if session else "",
            signed_in=session is not None,
            **context,
        )
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


def _secured(headers: Any, path: str = "") -> None:
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    # Sign-in links carry their token in the path: never hand it to another site.
    headers["Referrer-Policy"] = "no-referrer"
    # Pages hold a clinic's figures: never cached. Static files carry a version in their URL.
    static = path.startswith("/static/")
    headers.setdefault("Cache-Control", "public, max-age=86400" if static else "no-store")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer: CSP and friends; errors become a page, never a traceback."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type != "text/plain":
            _secured(exc.headers)
            raise
        response = render(request, "error.html", status=exc.status, status_code=exc.status)
        # Cookies set on the way (a sign-out) go with the error page.
        for name, morsel in exc.cookies.items():
            response.cookies[name] = morsel
    except Exception:
        logger.exception("dashboard page %s %s failed", request.method, request.path)
        response = render(request, "error.html", status=500, status_code=500)
    _secured(response.headers, request.path)
    return response


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the signed cookie; write it back (sliding the idle timeout) or delete it."""
    codec = request.app[CODEC]
    now = request.app[SERVICES].clock.now()
    raw = request.cookies.get(COOKIE)
    session = codec.decode(raw, now)
    request[STATE] = SessionState(session, changed=session is None and raw is not None)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    state = request[STATE]
    current = state.session
    secure = request.app[SERVICES].settings.dashboard_base_url.startswith("https://")
    if current is not None and (state.changed or not request.path.startswith("/static/")):
        response.set_cookie(
            COOKIE,
            codec.encode(current.touched(now)),
            max_age=int(IDLE_TIMEOUT.total_seconds()),
            httponly=True,
            secure=secure,
            samesite="Lax",
            path="/",
        )
    elif state.changed:
        response.del_cookie(COOKIE, path="/")
    if isinstance(response, web.HTTPException):
        raise response
    return response


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every form carries the session's CSRF token; a missing or wrong one is refused."""
    if request.method == "POST" and request.path not in NO_CSRF:
        session = session_of(request)
        form = await request.post()
        sent = form.get("csrf")
        if session is None or not isinstance(sent, str) or not _same(sent, session.csrf):
            logger.info("dashboard refused a form without a valid CSRF token: %s", request.path)
            return render(request, "error.html", status=403, status_code=403)
    return await handler(request)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _redirect_to(location: str) -> Handler:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(location)

    return redirect


def build_dashboard(services: DashboardServices) -> web.Application:
    """The dashboard as an aiohttp application (served by bot.web.server)."""
    from bot.web.dashboard import pages

    app = web.Application(middlewares=[security_headers, sessions, csrf])
    app[SERVICES] = services
    app[CODEC] = SessionCodec(services.settings.dashboard_key())
    app[TEMPLATES] = templates()
    static = resources.files("bot.web.dashboard") / "static"
    app.router.add_static("/static/", str(static), append_version=True, name="static")
    # Browsers ask for /favicon.ico whatever the page says: send them to the SVG one.
    favicon = str(app.router["static"].url_for(filename="favicon.svg"))
    app.router.add_get("/favicon.ico", _redirect_to(favicon))
    pages.add_routes(app)
    return app
