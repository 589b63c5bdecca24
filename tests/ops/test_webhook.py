"""Webhook mode: the secret and the size are checked before the body is read.

The receiver tests talk raw HTTP to a real listening socket, so that they can send the
headers alone and see the answer come before a single byte of the body; the last ones run
the whole bot in webhook mode behind the sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import tracemalloc
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from telegram.ext import Application, ApplicationBuilder

from bot.app import build_application, receiving_webhook
from bot.clock import FakeClock
from bot.context import BotApp
from bot.logging_setup import LIBRARY_FLOORS, configure_logging
from bot.web.webhook import SECRET_HEADER, WebhookReceiver
from sandbox import Sandbox
from storage.database import Database
from tests.fixtures.bot import bot_settings

SECRET = "s3cret_token-for-tests"
LIMIT = 1024 * 1024
TEN_MB = 10 * 1024 * 1024
CHUNK = b"x" * 65536


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_update(update_id: int, user_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Eve"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Eve"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


class Receiver:
    """Our receiver on a real port, in front of a PTB application that is not started.

    Nothing consumes the update queue, so what the receiver put there stays to be counted.
    """

    def __init__(self, application: Application, port: int) -> None:  # type: ignore[type-arg]
        self.application = application
        self.port = port

    @property
    def queued(self) -> int:
        """Updates the receiver handed to the application."""
        return self.application.update_queue.qsize()

    async def send_headers(
        self, headers: dict[str, str]
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Open a connection and send a POST's headers, and nothing of its body yet."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = "POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write((head + "\r\n").encode())
        await writer.drain()
        return reader, writer


async def _status(reader: asyncio.StreamReader) -> int:
    line = await asyncio.wait_for(reader.readline(), 10)
    return int(line.split()[1])


async def _rest_until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server still sends; returns once it has closed the connection."""
    try:
        return await asyncio.wait_for(reader.read(), 10)
    except ConnectionError:  # closed while we were still writing the body
        return b""


async def _send_body(writer: asyncio.StreamWriter, size: int, *, chunked: bool) -> int:
    """Write up to `size` bytes of body; how many went out before the server hung up."""
    sent = 0
    with contextlib.suppress(ConnectionError):
        while sent < size:
            if chunked:
                writer.write(f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n")
            else:
                writer.write(CHUNK)
            await writer.drain()
            sent += len(CHUNK)
    return sent


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """The receiver listening on a free port, with a 1 MB limit."""
    application = ApplicationBuilder().token("123456:TEST").updater(None).build()
    port = _free_port()
    server = WebhookReceiver(
        application,
        secret=SECRET,
        path="/telegram",
        host="127.0.0.1",
        port=port,
        max_body_bytes=LIMIT,
    )
    await server.start()
    try:
        yield Receiver(application, port)
    finally:
        await server.stop()


@pytest.fixture
def memory() -> Iterator[None]:
    """Python's allocations traced for the test (tracemalloc), peak reset at the start."""
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


async def test_ten_megabytes_without_the_secret_are_refused_from_the_headers_alone(
    receiver: Receiver, memory: None
) -> None:
    reader, writer = await receiver.send_headers(
        {"Content-Type": "application/json", "Content-Length": str(TEN_MB)}
    )
    # The answer comes before we have sent a single byte of the body, and the server
    # closes the connection instead of reading the body to discard it.
    assert await _status(reader) == 403
    assert b"Connection: close" in await _rest_until_closed(reader)
    assert await _send_body(writer, TEN_MB, chunked=False) < TEN_MB
    writer.close()
    _, peak = tracemalloc.get_traced_memory()
    assert peak < TEN_MB / 10
    assert receiver.queued == 0


async def test_a_client_asking_to_continue_is_not_invited_to_send_a_refused_body(
    receiver: Receiver,
) -> None:
    reader, writer = await receiver.send_headers(
        {"Content-Length": str(TEN_MB), "Expect": "100-continue"}
    )
    assert await _status(reader) == 403  # not "100 Continue"
    writer.close()
    body = json.dumps(_start_update(5, 3003)).encode()
    reader, writer = await receiver.send_headers(
        {SECRET_HEADER: SECRET, "Content-Length": str(len(body)), "Expect": "100-continue"}
    )
    assert await _status(reader) == 100
    writer.write(body)
    await reader.readline()  # the blank line after the interim answer
    assert await _status(reader) == 200
    writer.close()
    assert receiver.queued == 1


async def test_a_wrong_secret_is_refused_before_the_body(receiver: Receiver) -> None:
    body = json.dumps(_start_update(1, 3003)).encode()
    reader, writer = await receiver.send_headers(
        {SECRET_HEADER: SECRET[:-1] + "X", "Content-Length": str(len(body))}
    )
    assert await _status(reader) == 403
    writer.close()
    assert receiver.queued == 0


async def test_a_non_ascii_secret_is_simply_wrong(receiver: Receiver) -> None:
    reader, writer = await receiver.send_headers({SECRET_HEADER: "sécret", "Content-Length": "2"})
    assert await _status(reader) == 403
    writer.close()
    assert receiver.queued == 0


async def test_a_declared_size_over_the_limit_is_refused_with_413_before_the_body(
    receiver: Receiver, memory: None
) -> None:
    reader, writer = await receiver.send_headers(
        {SECRET_HEADER: SECRET, "Content-Length": str(TEN_MB)}
    )
    assert await _status(reader) == 413
    assert b"Connection: close" in await _rest_until_closed(reader)
    assert await _send_body(writer, TEN_MB, chunked=False) < TEN_MB
    writer.close()
    _, peak = tracemalloc.get_traced_memory()
    assert peak < TEN_MB / 10
    assert receiver.queued == 0


async def test_a_chunked_body_growing_past_the_limit_is_refused_having_read_no_more(
    receiver: Receiver, memory: None
) -> None:
    reader, writer = await receiver.send_headers(
        {SECRET_HEADER: SECRET, "Transfer-Encoding": "chunked"}
    )
    sending = asyncio.create_task(_send_body(writer, TEN_MB, chunked=True))
    assert await _status(reader) == 413
    await _rest_until_closed(reader)
    await sending
    writer.close()
    _, peak = tracemalloc.get_traced_memory()
    # The limit plus what is in flight: the rest of the 10 MB was never held.
    assert peak < 3 * LIMIT
    assert receiver.queued == 0


async def test_a_small_update_with_the_right_secret_reaches_the_update_queue(
    receiver: Receiver,
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://127.0.0.1:{receiver.port}/telegram",
            json=_start_update(4242, 3003),
            headers={SECRET_HEADER: SECRET},
        )
    assert response.status_code == 200
    update = receiver.application.update_queue.get_nowait()
    assert update.update_id == 4242
    assert update.message.text == "/start"


async def test_a_body_that_is_not_an_update_is_answered_400_and_not_queued(
    receiver: Receiver,
) -> None:
    async with httpx.AsyncClient() as client:
        for body in (
            b"not json",
            b"[1, 2]",
            b'{"no": "update_id"}',
            b'{"update_id": 1, "message": "x"}',
            b'{"update_id": 1, "message": {"chat": 5}}',
        ):
            response = await client.post(
                f"http://127.0.0.1:{receiver.port}/telegram",
                content=body,
                headers={SECRET_HEADER: SECRET},
            )
            assert response.status_code == 400
    assert receiver.queued == 0


async def test_the_receiver_never_logs_the_secret(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient() as client:
        for secret in (SECRET, SECRET + "x", ""):
            await client.post(
                f"http://127.0.0.1:{receiver.port}/telegram",
                json=_start_update(7, 3003),
                headers={SECRET_HEADER: secret},
            )
    assert "refused" in caplog.text  # the scan reads a log that says things
    assert SECRET not in caplog.text


@pytest.fixture
async def webhook_bot(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> AsyncIterator[str]:
    """The bot in webhook mode behind the sandbox; yields the webhook URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    application: BotApp = build_application(
        bot_settings(sandbox, webhook_url=url, webhook_secret=SECRET, webhook_port=port),
        clock=clock,
        database=bot_database,
    )
    async with receiving_webhook(application):
        yield url


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: "wrong"}],
    ids=["missing secret", "wrong secret"],
)
async def test_an_update_without_the_right_secret_is_refused_and_changes_nothing(
    webhook_bot: str, sandbox: Sandbox, headers: dict[str, str]
) -> None:
    eve = sandbox.user(3003, first_name="Eve")
    async with httpx.AsyncClient() as client:
        response = await client.post(webhook_bot, json=_start_update(9001, 3003), headers=headers)
    assert response.status_code == 403
    await sandbox.wait_until_idle(quiet=0.5)
    assert eve.messages == []


async def test_an_update_with_the_right_secret_is_processed(
    webhook_bot: str, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001, first_name="Ana")
    await ana.send("/start")  # the sandbox posts it to the registered webhook with the secret
    welcome = await ana.next_message(timeout=10)
    assert "Welcome to Interval" in (welcome.text or "")
    assert sandbox.webhook_info()["url"] == webhook_bot


@pytest.fixture
def debug_logging() -> Iterator[None]:
    """The process's own logging set-up at DEBUG, undone after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARY_FLOORS}
    configure_logging("DEBUG", "text", secrets=["123456:TEST", SECRET])
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


async def test_the_secret_is_never_logged_while_the_webhook_is_set_and_used(
    sandbox: Sandbox,
    bot_database: Database,
    clock: FakeClock,
    debug_logging: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    application = build_application(
        bot_settings(sandbox, webhook_url=url, webhook_secret=SECRET, webhook_port=port),
        clock=clock,
        database=bot_database,
    )
    async with receiving_webhook(application):
        ana = sandbox.user(1001, first_name="Ana")
        await ana.send("/start")
        await ana.next_message(timeout=10)
        async with httpx.AsyncClient() as client:
            await client.post(url, json=_start_update(9002, 3003), headers={SECRET_HEADER: "x"})
    assert "webhook receiver on" in caplog.text
    assert SECRET not in caplog.text
