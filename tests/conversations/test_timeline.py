"""/timeline end to end: a PNG of the patient's treatments and the days to wait."""

from __future__ import annotations

from datetime import date

from bot.clock import FakeClock
from bot.context import BotApp
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from tests.conversations.helpers import log_directly, onboard
from tests.images import png_size


async def test_timeline_sends_a_phone_sized_png_with_a_caption(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    await log_directly(bot_database, 1001, Procedure.MICRONEEDLING, date(2027, 1, 20), clock.now())
    await ana.send("/timeline")
    sent = await ana.next_message()
    assert sent.method == "sendPhoto"
    assert sent.photo is not None
    assert sent.photo.file_name == "interval-timeline-2026-11-24.png"
    assert png_size(sent.photo.content) == (1080, 1350)
    caption = sent.text or ""
    assert caption.startswith("📈 Your timeline as of Tue, 24 Nov 2026")
    assert caption.endswith("Please confirm the timing with your provider before booking.")


async def test_timeline_in_spanish(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    await log_directly(bot_database, 2002, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    await lucia.send("/timeline")
    sent = await lucia.next_message()
    assert sent.photo is not None
    assert (sent.text or "").startswith("📈 Tu cronología a fecha de mar, 24 nov 2026")


async def test_timeline_without_history_or_consent_sends_no_picture(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana, stranger = sandbox.user(1001), sandbox.user(3003)
    await onboard(ana)
    await ana.send("/timeline")
    empty = await ana.next_message()
    assert empty.method == "sendMessage"
    assert "nothing to draw yet" in (empty.text or "")
    await stranger.send("/timeline")
    assert "send /start first" in ((await stranger.next_message()).text or "")
