"""The webhook receiver: the secret header is checked, and the size, before any body is read.

PTB's built-in webhook server (tornado) reads the whole body before its handler looks at the
secret, so anyone who finds the URL can make the process buffer large requests. Here the
order is: path → secret (constant time) → declared size → read at most the limit → decode
→ the application's update queue. A refused request is answered from its headers alone and
its connection closed, so the body is never read, not even to drain it.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import HttpVersion11, hdrs, web
from telegram import Update
from telegram.ext import Application

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class WebhookReceiver:
    """An aiohttp server that puts Telegram's POSTed updates on the application's queue."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]  # any context types will do
        *,
        secret: str,
        path: str,
        host: str,
        port: int,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self._application = application
        self._secret = secret.encode()
        self._path = "/" + path.lstrip("/")
        self._host = host
        self._port = port
        self._max_body = max_body_bytes
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        """The aiohttp application (also what tests serve on a port of their own)."""
        # client_max_size guards any later request.read(); our handler never calls it.
        app = web.Application(client_max_size=self._max_body)
        app.router.add_post(self._path, self._receive, expect_handler=self._expect)
        return app

    async def start(self) -> None:
        """Listen on WEBHOOK_LISTEN:WEBHOOK_PORT."""
        # Not one runner with the operator server: the webhook port faces the internet
        # (through the proxy) and /metrics must not, and one aiohttp app on two sites would
        # serve every route on both. Two small apps on the same stack keep them apart.
        # lingering_time=0: a request answered without its body (403/413) has its
        # connection closed instead of aiohttp reading the rest of the body to discard it.
        self._runner = web.AppRunner(self.web_app(), access_log=None, lingering_time=0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        logger.info("webhook receiver on http://%s:%s%s", self._host, self._port, self._path)

    async def stop(self) -> None:
        """Stop listening (the webhook stays registered with Telegram, as PTB leaves it)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _expect(self, request: web.Request) -> web.Response | None:
        """`Expect: 100-continue`: invite the body only if the headers would be accepted."""
        # aiohttp's default says "100 Continue" to everyone, and a client would then start
        # sending a body we are about to refuse.
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        if request.version != HttpVersion11:
            return None  # HTTP/1.0 has no interim answers: the body simply follows
        if request.headers.get(hdrs.EXPECT, "").lower() != "100-continue":
            return _refuse(417)
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # the 100 is not the response: its size starts now
        return None

    def _refusal(self, request: web.Request) -> web.Response | None:
        """A 403 or 413 decided from the headers alone, or None if they are acceptable."""
        if not self._has_secret(request):
            logger.warning("webhook request refused: missing or wrong secret header")
            return _refuse(403)
        declared = request.content_length
        if declared is not None and declared > self._max_body:
            logger.warning("webhook request refused: %d bytes declared", declared)
            return _refuse(413)
        return None

    async def _receive(self, request: web.Request) -> web.Response:
        # Nothing of the body has been read yet: aiohttp hands us the request after the
        # headers. Every refusal below is decided from them alone.
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        body = await self._read_at_most(request)
        if body is None:
            logger.warning("webhook request refused: body over %d bytes", self._max_body)
            return _refuse(413)
        try:
            data = json.loads(body)
            update = Update.de_json(data, self._application.bot) if isinstance(data, dict) else None
        except Exception:  # PTB's decoding of a malformed update can raise almost anything
            update = None
        if update is None:
            # The text of a malformed update may be a patient's: log its size, never it.
            logger.warning("webhook request refused: not an update (%d bytes)", len(body))
            return web.Response(status=400)
        await self._application.update_queue.put(update)
        return web.Response(status=200)

    def _has_secret(self, request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return False
        # Bytes, so that a non-ASCII header is simply wrong rather than a TypeError.
        return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), self._secret)

    async def _read_at_most(self, request: web.Request) -> bytes | None:
        """The body, or None as soon as it grows past the limit (chunked bodies declare none)."""
        chunks: list[bytes] = []
        size = 0
        while size <= self._max_body:
            chunk = await request.content.read(self._max_body + 1 - size)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        return None


def _refuse(status: int) -> web.Response:
    response = web.Response(status=status)
    # The unread body would otherwise sit in front of the next request on this connection.
    response.force_close()
    return response
