"""The bot that sends the outbox: an aiohttp transport and a lean sendMessage.

PTB's default transport (httpx) slows down as concurrent requests grow: against the sandbox
it peaks near 1,000 requests/s with 2-4 in flight and falls to a third of that with 64.
aiohttp keeps its throughput with many requests in flight, which the dispatcher needs to
stay far above Telegram's own limit. Only the dispatcher's bot uses it; handlers keep PTB's
default transport.

`OutboxBot.send_html` returns only the message id: building a full `Message` from every
answer (what `Bot.send_message` does) was a sixth of the dispatcher's time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import aiohttp
from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram._utils.types import ODVInput  # the type of PTB's timeout arguments
from telegram.constants import ParseMode
from telegram.error import NetworkError, TimedOut
from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData

from bot.delivery.rate_limit import Lane

_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """`BaseRequest` over one `aiohttp.ClientSession` with `pool_size` connections."""

    def __init__(
        self,
        pool_size: int = 64,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
    ) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call does not give one."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool (idempotent)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the connection pool (idempotent)."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; timeouts become `TimedOut`, other client errors `NetworkError`."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = (
            self._connect_timeout
            if connect_timeout is BaseRequest.DEFAULT_NONE
            else connect_timeout
        )
        # aiohttp has no write timeout: a write that stalls is caught by the read timeout.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None else float(connect),  # type: ignore[arg-type]
            sock_read=None if read is None else float(read),  # type: ignore[arg-type]
        )
        payload: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if request_data is not None and request_data.contains_files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mime_type) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mime_type)
            payload = form
        elif request_data is not None:
            # A JSON body: percent-encoding a form costs more than the rest of the call.
            payload, headers = json.dumps(request_data.parameters).encode(), _JSON
        try:
            async with session.request(
                method, url, data=payload, headers=headers, timeout=timeout
            ) as response:
                status, body = response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            # PTB would report only the description ("Bad Gateway"): keep the code, so that a
            # server error can be told from a network failure in reasons and metrics.
            raise NetworkError(f"{_phrase(status)} ({status})")
        return status, body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Server Error"


# A clinic's booking link would otherwise unfold into a preview card under every reminder.
_NO_PREVIEW = {"is_disabled": True}


class OutboxBot(Bot):
    """A `Bot` whose `send_html` skips turning Telegram's answer into a `Message`."""

    async def send_html(
        self,
        chat_id: int,
        text: str,
        reply_markup: InlineKeyboardMarkup | Mapping[str, Any] | None = None,
        *,
        paid: bool = False,
    ) -> int:
        """Send an HTML message without a link preview; Telegram's message id.

        `paid` asks for `allow_paid_broadcast` (Telegram's higher limit, for a fee). Errors
        are raised exactly as by `send_message` (same request path).
        """
        data: dict[str, Any] = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": ParseMode.HTML,
            "reply_markup": reply_markup,
            "link_preview_options": _NO_PREVIEW,
        }
        if paid:
            data["allow_paid_broadcast"] = True
        # `_post` is Bot's own request path (PTB's ExtBot extends it the same way); only the
        # parsing of the answer into a Message is left out.
        result = await self._post("sendMessage", data)
        return int(result["message_id"])


class ReplyBot(ExtBot[Lane]):
    """The application's bot: answers to updates, without parsing Telegram's answer.

    Handlers rarely need more than the id of the message they sent, and building a
    `Message` from every answer costs more than the rest of a reply (about a third of a
    `/next`). `send_html` and `edit_html` return that id; everything else is PTB's.
    """

    async def send_html(
        self,
        chat_id: int,
        text: str,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> int:
        """sendMessage with HTML; Telegram's message id."""
        data: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML}
        if reply_markup is not None:
            data["reply_markup"] = reply_markup
        result = await self._post("sendMessage", data)
        return int(result["message_id"])

    async def edit_html(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> int:
        """editMessageText with HTML (no keyboard unless given); the message's id."""
        data: dict[str, Any] = {
            "chat_id": chat_id,
            "message_id": message_id,
            "text": text,
            "parse_mode": ParseMode.HTML,
        }
        if reply_markup is not None:
            data["reply_markup"] = reply_markup
        await self._post("editMessageText", data)
        return message_id


async def send_html(
    bot: Bot,
    chat_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | Mapping[str, Any] | None,
    *,
    paid: bool = False,
) -> int:
    """Send through `OutboxBot.send_html` when possible, else `send_message`; the message id."""
    if isinstance(bot, OutboxBot):
        return await bot.send_html(chat_id, text, reply_markup, paid=paid)
    if reply_markup is not None and not isinstance(reply_markup, InlineKeyboardMarkup):
        reply_markup = InlineKeyboardMarkup.de_json(dict(reply_markup), bot)
    sent = await bot.send_message(
        chat_id=chat_id,
        text=text,
        parse_mode=ParseMode.HTML,
        reply_markup=reply_markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        allow_paid_broadcast=paid or None,
    )
    return sent.message_id
