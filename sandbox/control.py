"""The control API under `/_sandbox/`: drive the sandbox over HTTP from another process.

JSON in and out, with the Bot API's envelope: `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": N, "description": "..."}`. See docs/sandbox.md.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.errors import ApiError
from sandbox.faults import FAULT_KINDS, FaultKind
from sandbox.limits import PAID_RATE
from sandbox.server import error_response, ok_response

if TYPE_CHECKING:
    from sandbox.app import Sandbox
    from sandbox.users import SandboxUser

PREFIX = "/_sandbox"
MAX_WAIT_SECONDS = 60.0
_PROFILE_FIELDS = ("first_name", "last_name", "username", "language_code")


def add_control_routes(app: web.Application, sandbox: Sandbox) -> None:
    """Register every control route for `sandbox` on `app`."""
    control = _Control(sandbox)
    app.router.add_routes(
        [
            web.get(f"{PREFIX}/stats", _json_handler(control.stats)),
            web.post(f"{PREFIX}/reset", _json_handler(control.reset)),
            web.post(f"{PREFIX}/limits", _json_handler(control.limits)),
            web.post(f"{PREFIX}/faults", _json_handler(control.faults)),
            web.post(f"{PREFIX}/faults/next", _json_handler(control.fail_next)),
            web.post(f"{PREFIX}/webhook/backends", _json_handler(control.webhook_backends)),
            web.post(f"{PREFIX}/updates", _json_handler(control.push_update)),
            web.get(f"{PREFIX}/sent", _json_handler(control.sent)),
            web.get(f"{PREFIX}/commands", _json_handler(control.commands)),
            web.get(f"{PREFIX}/idle", _json_handler(control.idle)),
            web.post(f"{PREFIX}/users", _json_handler(control.put_users)),
            web.get(f"{PREFIX}/users/{{user_id}}", _json_handler(control.get_user)),
            web.post(f"{PREFIX}/users/{{user_id}}", _json_handler(control.put_user)),
            web.post(f"{PREFIX}/users/{{user_id}}/send", _json_handler(control.send)),
            web.post(f"{PREFIX}/users/{{user_id}}/press", _json_handler(control.press)),
            web.post(f"{PREFIX}/users/{{user_id}}/block", _json_handler(control.block)),
            web.post(f"{PREFIX}/users/{{user_id}}/unblock", _json_handler(control.unblock)),
            web.get(f"{PREFIX}/chats/{{chat_id}}/messages", _json_handler(control.chat_messages)),
        ]
    )


def _bad(description: str, code: int = 400) -> ApiError:
    return ApiError(code, description)


def _int(value: str | None, name: str, default: int | None = None) -> int:
    if value is None or value == "":
        if default is None:
            raise _bad(f"{name} is required")
        return default
    try:
        return int(value)
    except ValueError:
        raise _bad(f"{name} must be an integer, got {value!r}") from None


def _float(value: str | None, name: str, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise _bad(f"{name} must be a number, got {value!r}") from None


async def _body(request: web.Request) -> dict[str, Any]:
    # body_exists, not can_read_body: handlers may read the (cached) body twice.
    if not request.body_exists:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise _bad("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    return body


def _optional_rate(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(f"{name} must be an integer or null")
    return value


def _user_json(user: SandboxUser) -> dict[str, Any]:
    return {
        "user": user.profile.to_api(),
        "blocked": user.blocked,
        "answered_callbacks": [answer.to_json() for answer in user.answered_callbacks],
    }


class _Control:
    """Handlers return a JSON-able result; `_json_handler` wraps it in the envelope."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    async def stats(self, request: web.Request) -> Any:
        return self._sandbox.stats.to_json()

    async def reset(self, request: web.Request) -> Any:
        self._sandbox.reset()
        return True

    async def limits(self, request: web.Request) -> Any:
        body = await _body(request)
        self._sandbox.set_limits(
            _optional_rate(body, "overall_rate"),
            _optional_rate(body, "per_chat_rate"),
            _optional_rate(body, "paid_rate") or PAID_RATE,
        )
        limits = self._sandbox.limits
        return {
            "overall_rate": limits.overall_rate,
            "per_chat_rate": limits.per_chat_rate,
            "paid_rate": limits.paid_rate,
        }

    async def faults(self, request: web.Request) -> Any:
        body = await _body(request)
        self._sandbox.inject_faults(
            float(body.get("rate", 0.0)),
            kinds=[_fault_kind(kind) for kind in body.get("kinds", ["429"])],
            seed=body.get("seed"),
            retry_after=int(body.get("retry_after", 1)),
            slow_seconds=float(body.get("slow_seconds", 1.0)),
            hang_seconds=float(body.get("hang_seconds", 10.0)),
        )
        return True

    async def fail_next(self, request: web.Request) -> Any:
        body = await _body(request)
        chat_id = body.get("chat_id")
        self._sandbox.fail_next(
            _fault_kind(body.get("kind")),
            int(body.get("times", 1)),
            chat_id=int(chat_id) if chat_id is not None else None,
        )
        return True

    async def webhook_backends(self, request: web.Request) -> Any:
        urls = (await _body(request)).get("urls", [])
        if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
            raise _bad("urls must be a list of URLs")
        self._sandbox.set_webhook_backends(urls)
        return self._sandbox.webhook_backends

    async def push_update(self, request: web.Request) -> Any:
        return {"update_id": self._sandbox.push_update(await _body(request))}

    async def sent(self, request: web.Request) -> Any:
        since = _int(request.query.get("since"), "since", 0)
        limit = _int(request.query.get("limit"), "limit", 1000)
        records = self._sandbox.sent[since : since + max(1, limit)]
        return {
            "sent": [record.to_json() for record in records],
            "next": since + len(records),
            "total": len(self._sandbox.sent),
        }

    async def commands(self, request: web.Request) -> Any:
        raw_scope = request.query.get("scope")
        try:
            scope = json.loads(raw_scope) if raw_scope else None
        except ValueError:
            raise _bad("scope must be a JSON BotCommandScope") from None
        commands = self._sandbox.commands(scope, request.query.get("language_code", ""))
        return [{"command": c.command, "description": c.description} for c in commands]

    async def idle(self, request: web.Request) -> Any:
        quiet = _float(request.query.get("quiet"), "quiet", 0.3)
        timeout = min(MAX_WAIT_SECONDS, _float(request.query.get("timeout"), "timeout", 10.0))
        await self._sandbox.wait_until_idle(quiet, timeout)
        return True

    async def get_user(self, request: web.Request) -> Any:
        return _user_json(self._existing_user(request))

    async def put_user(self, request: web.Request) -> Any:
        return _user_json(await self._user_with_profile(request))

    async def put_users(self, request: web.Request) -> Any:
        users = (await _body(request)).get("users")
        if not isinstance(users, list) or not all(
            isinstance(user, dict) and isinstance(user.get("id"), int) for user in users
        ):
            raise _bad('users must be a list like [{"id": 1001, "first_name": "Ana"}]')
        for user in users:
            self._sandbox.user(user["id"], **_profile(user))
        return {"created_or_updated": len(users)}

    async def send(self, request: web.Request) -> Any:
        user = await self._user_with_profile(request)
        body = await _body(request)
        kind = body.get("kind", "text")
        if kind == "text":
            text = body.get("text")
            if not isinstance(text, str) or not text:
                raise _bad("text is required for a text message")
            reply_to = body.get("reply_to")
            message_id = await user.send(
                text, reply_to=int(reply_to) if reply_to is not None else None
            )
        elif kind == "sticker":
            message_id = await user.send_sticker()
        elif kind == "photo":
            message_id = await user.send_photo(body.get("caption"))
        elif kind == "voice":
            message_id = await user.send_voice()
        elif kind == "contact":
            message_id = await user.send_contact()
        elif kind == "location":
            message_id = await user.send_location()
        else:
            raise _bad(
                f"unknown kind {kind!r}; use text, sticker, photo, voice, contact or location"
            )
        return {"message_id": message_id}

    async def press(self, request: web.Request) -> Any:
        user = self._existing_user(request)
        body = await _body(request)
        message_id = _int(_str_or_none(body.get("message_id")), "message_id")
        if "data" in body:
            query_id = await user.press_data(message_id, str(body["data"]))
        else:
            query_id = await user.press(
                message_id,
                _str_or_none(body.get("text")),
                callback_data=_str_or_none(body.get("callback_data")),
            )
        return {"query_id": query_id}

    async def block(self, request: web.Request) -> Any:
        await self._existing_user(request).block()
        return True

    async def unblock(self, request: web.Request) -> Any:
        await self._existing_user(request).unblock()
        return True

    async def chat_messages(self, request: web.Request) -> Any:
        chat_id = _int(request.match_info["chat_id"], "chat_id")
        if not self._sandbox.has_user(chat_id):
            raise _bad("chat not found", 404)
        since = _int(request.query.get("since"), "since", 0)
        wait = min(MAX_WAIT_SECONDS, _float(request.query.get("wait"), "wait", 0.0))
        user = self._sandbox.user(chat_id)
        changed = await user.wait_for_changes(since, wait)
        return {
            "messages": [message.to_json() for message in changed],
            "cursor": user.version,
        }

    def _existing_user(self, request: web.Request) -> SandboxUser:
        user_id = _int(request.match_info["user_id"], "user_id")
        if not self._sandbox.has_user(user_id):
            raise _bad(f"no user {user_id}; create it with POST {PREFIX}/users/{user_id}", 404)
        return self._sandbox.user(user_id)

    async def _user_with_profile(self, request: web.Request) -> SandboxUser:
        user_id = _int(request.match_info["user_id"], "user_id")
        return self._sandbox.user(user_id, **_profile(await _body(request)))


def _profile(body: dict[str, Any]) -> dict[str, str]:
    profile = {name: body[name] for name in _PROFILE_FIELDS if body.get(name) is not None}
    if not all(isinstance(value, str) for value in profile.values()):
        raise _bad(f"{', '.join(_PROFILE_FIELDS)} must be strings")
    return profile


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _fault_kind(value: object) -> FaultKind:
    for kind in FAULT_KINDS:
        if value == kind:
            return kind
    raise _bad(f"unknown fault kind {value!r}; choose from {list(FAULT_KINDS)}")


def _json_handler(handler: Callable[[web.Request], Awaitable[Any]]) -> Handler:
    """Wrap a handler's result in the envelope; bad input becomes a JSON 400."""

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            result = await handler(request)
        except ApiError as error:
            return error_response(error)
        except (ValueError, AssertionError) as error:
            return error_response(ApiError(400, str(error)))
        return ok_response(result)

    return handle
