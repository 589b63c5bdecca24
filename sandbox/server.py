"""The HTTP side: Bot API routes (`/bot<token>/<method>`) with Telegram's envelope."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, not_found, unauthorized
from sandbox.methods import BotApi
from sandbox.params import read_params

logger = logging.getLogger(__name__)

API_KEY = web.AppKey("bot_api", BotApi)
TOKEN_KEY = web.AppKey("token", str)


def error_response(error: ApiError) -> web.Response:
    """Telegram's JSON error body with the matching HTTP status."""
    return web.json_response(error.envelope(), status=error.error_code)


def ok_response(result: Any, description: str | None = None) -> web.Response:
    """Telegram's JSON success body."""
    body: dict[str, Any] = {"ok": True, "result": result}
    if description is not None:
        body["description"] = description
    return web.json_response(body)


def add_bot_api_routes(app: web.Application, api: BotApi, token: str) -> None:
    """Serve the Bot API for `token` on `app`."""
    app[API_KEY] = api
    app[TOKEN_KEY] = token
    app.router.add_route("*", "/bot{token}/{method}", _bot_api)


def add_fallback_route(app: web.Application) -> None:
    """Answer every other path with Telegram's JSON 404 (register last)."""
    app.router.add_route("*", "/{tail:.*}", _not_found)


async def _bot_api(request: web.Request) -> web.Response:
    if request.match_info["token"] != request.app[TOKEN_KEY]:
        return error_response(unauthorized())
    method = request.match_info["method"]
    try:
        params = await read_params(request)
        result = await request.app[API_KEY].call(method, params)
    except ApiError as error:
        return error_response(error)
    except Exception:
        # A sandbox bug must be loud, and still reach the bot as a server error.
        logger.exception("sandbox failed on Bot API method %s", method)
        return error_response(ApiError(500, "Internal Server Error"))
    return ok_response(result.value, result.description)


async def _not_found(request: web.Request) -> web.Response:
    return error_response(not_found())
