"""The composition root: builds the python-telegram-bot Application and its services."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationBuilder, Defaults, JobQueue
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import AppContext, BotApp, Services, context_types
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rate_limit import SendRateLimiter
from bot.delivery.reply_pace import RepliesShareThePace
from bot.delivery.shared_pace import DatabaseSlots
from bot.delivery.transport import AiohttpRequest, OutboxBot, ReplyBot
from bot.handlers import register_all
from bot.handlers.commands_menu import publish_patient_commands
from bot.jobs import question_reminders
from bot.jobs.clocked_queue import ClockedJobQueue
from bot.jobs.guidance_replan import ReplanRequest, queue_replan_on, resume_at_start
from bot.observability.instrumented import InstrumentedApplication
from bot.observability.metrics import Metrics
from bot.observability.server import OperatorServer
from bot.render.outbox import outbox_renderers
from bot.update_processor import PerChatUpdateProcessor
from bot.web.dashboard import DashboardServices, build_dashboard
from bot.web.server import WebServer
from bot.web.webhook import WebhookReceiver
from storage.database import Database
from storage.schema import upgrade_to_head

logger = logging.getLogger(__name__)


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
) -> BotApp:
    """Build the bot; resources open in `post_init` and close in `post_shutdown`.

    A `database` passed in belongs to the caller (tests, demo) and is not disposed here.
    """
    owns_database = database is None
    the_clock: Clock = clock or SystemClock()
    metrics = Metrics()
    operator_servers: list[OperatorServer | WebServer] = []
    # The one pace of the process, made once the database is open; replies use it too.
    paces: list[SendRateLimiter] = []

    async def post_init(application: BotApp) -> None:
        db = database or Database(settings.effective_database_url)
        if owns_database:
            # `run` keeps the schema current itself (see docs/operations.md); on PostgreSQL
            # the upgrade holds an advisory lock so replicas starting together do not race.
            await upgrade_to_head(db.url)
        # The outbox goes out through a bot of its own: a transport that stays fast with
        # many sends in flight, and a connection pool that handlers' replies never wait for.
        sending_bot = OutboxBot(
            settings.token(),
            base_url=settings.telegram_base_url,
            request=AiohttpRequest(settings.send_concurrency),
        )
        await sending_bot.initialize()
        paces.extend(_paces(settings, db))
        dispatcher = Dispatcher(
            db,
            sending_bot,
            the_clock,
            paces[0],
            renderers=outbox_renderers(),
            paid_broadcast=settings.telegram_paid_broadcast,
            worker_id=worker_id(),
            batch_size=settings.dispatch_batch_size,
            lease_seconds=settings.dispatch_lease_seconds,
            max_in_flight=settings.send_concurrency,
            observer=metrics,
        )
        services = Services(settings=settings, clock=the_clock, database=db, dispatcher=dispatcher)
        application.bot_data.services = services
        await publish_patient_commands(application.bot)
        # Re-plans a stopped process left half done, before anything is sent by their plan.
        await resume_at_start(services)
        # Sends what came due while the process was down (docs/reminders.md), then keeps
        # draining whenever woken: by this job, or at once by whoever adds a due row.
        await dispatcher.start()
        job_queue = application.job_queue
        if job_queue is not None:
            job_queue.run_repeating(
                _wake_dispatcher,
                interval=settings.dispatch_interval,
                first=settings.dispatch_interval,
                name=DISPATCH_JOB,
            )
            # One reminder to the staff about each question left unanswered too long.
            question_reminders.register(application)
        if settings.metrics_port is not None:
            server = OperatorServer(
                metrics=metrics,
                database=db,
                clock=the_clock,
                seconds_since_dispatch=dispatcher.seconds_since_cycle,
                host=settings.metrics_listen,
                port=settings.metrics_port,
            )
            await server.start()
            operator_servers.append(server)
        if settings.dashboard_port is not None:
            dashboard = WebServer(
                build_dashboard(dashboard_services(application)),
                host=settings.dashboard_listen,
                port=settings.dashboard_port,
                name=f"clinic dashboard ({settings.dashboard_base_url})",
            )
            await dashboard.start()
            operator_servers.append(dashboard)
        logger.info("bot @%s ready on %s", application.bot.username, db.dialect_name)

    async def post_shutdown(application: BotApp) -> None:
        if not application.bot_data.is_ready:
            return
        services = application.bot_data.services
        for server in operator_servers:
            await server.stop()
        try:
            # Sends not yet started are released for the next start (or another process).
            await services.dispatcher.close()
            await services.dispatcher.bot.shutdown()
        finally:
            if owns_database:
                await services.database.dispose()

    reply_bot = ReplyBot(
        settings.token(),
        base_url=settings.telegram_base_url,
        # Replies go out many at once (updates are concurrent): PTB's default transport
        # has one connection, so each reply would queue for it after taking its slot of
        # the pace, and they would reach Telegram bunched (bot/delivery/transport.py).
        request=AiohttpRequest(settings.update_concurrency),
        get_updates_request=HTTPXRequest(),
        rate_limiter=RepliesShareThePace(lambda: paces[-1] if paces else None),
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=UTC),
    )
    application: BotApp = (
        ApplicationBuilder()
        .application_class(InstrumentedApplication, kwargs={"metrics": metrics})
        .bot(reply_bot)
        # Different chats at once, one chat in order (bot/update_processor.py).
        .concurrent_updates(PerChatUpdateProcessor(settings.update_concurrency))
        .context_types(context_types())
        # With an injected clock (tests, the demo) one-off jobs such as conversation timeouts
        # also come due by that clock (bot/jobs/clocked_queue.py).
        .job_queue(ClockedJobQueue(the_clock) if clock is not None else JobQueue[AppContext]())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data.settings = settings
    with warnings.catch_warnings():
        # Our conversations track one state per user and chat (per_message=False) on purpose:
        # their buttons are entry points that carry their own ids, so they survive restarts.
        warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)
        register_all(application)
    return application


DISPATCH_JOB = "dispatcher-wake"


def dashboard_services(application: BotApp) -> DashboardServices:
    """What the dashboard's pages use, from an initialised application (tests use it too)."""
    services = application.bot_data.services

    async def send_message(chat_id: int, text: str) -> str | None:
        try:
            await application.bot.send_message(
                chat_id, text, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        except BadRequest as exc:
            return exc.message
        except TelegramError as exc:
            logger.warning("dashboard test message to %s failed: %s", chat_id, exc)
            return type(exc).__name__
        return None

    def queue_replan(clinic_id: int, version: int, actor: int, language: str) -> None:
        jobs = application.job_queue
        if jobs is None:  # pragma: no cover - build_application always gives one
            raise RuntimeError("the application has no job queue")
        # The author is told in their chat when it is done, as after a chat change.
        queue_replan_on(jobs, ReplanRequest(clinic_id, version, actor, actor, language))

    return DashboardServices(
        core=services,
        send_message=send_message,
        queue_replan=queue_replan,
        bot_username=lambda: application.bot.username,
    )


# Telegram's free limit, which replies keep to when the outbox pays for a higher one.
FREE_RATE = 30.0


def _paces(settings: Settings, database: Database) -> tuple[SendRateLimiter, SendRateLimiter]:
    """The outbox's pace and the replies' (one and the same unless broadcasts are paid)."""
    # Several processes can only share a token in webhook mode (one process may long-poll
    # it) and only on PostgreSQL; then they share its rate too (bot/delivery/shared_pace.py).
    # Otherwise this process is alone and paces itself, with a narrower margin.
    shared = database.dialect_name == "postgresql" and settings.webhook_url is not None
    rate = settings.telegram_rate_limit
    outbox = SendRateLimiter(rate, shared_slots=DatabaseSlots(database, rate) if shared else None)
    if not settings.telegram_paid_broadcast:
        return outbox, outbox
    # Paid sends are counted apart by Telegram: the outbox may go up to its paid rate while
    # replies keep the free one, each through its own line.
    free = min(rate, FREE_RATE)
    replies = SendRateLimiter(
        free,
        shared_slots=DatabaseSlots(database, free, name="telegram-free") if shared else None,
    )
    return outbox, replies


async def _wake_dispatcher(context: AppContext) -> None:
    context.bot_data.services.dispatcher.wake()


def worker_id() -> str:
    """This process's name on the outbox rows it claims: host, pid and a random suffix."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


@asynccontextmanager
async def serving(application: BotApp, *, poll_timeout: int = 10) -> AsyncIterator[BotApp]:
    """Run an application inside an event loop we own (tests, the demo), as `run_polling` does.

    `run_polling` owns the loop and the signals; the demo and the tests need the loop for
    themselves, so they start the same pieces in the same order, hooks included.
    """
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=poll_timeout)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


@asynccontextmanager
async def receiving_webhook(application: BotApp) -> AsyncIterator[BotApp]:
    """Run an application on our own webhook receiver (bot/web/webhook.py), hooks included.

    The same order as PTB's `run_webhook`: initialise, post_init, listen, register the
    webhook, start; on the way out the webhook stays registered with Telegram (another
    replica, or the next start, keeps receiving), as PTB leaves it.
    """
    settings = application.bot_data.settings
    url, secret = settings.webhook()
    receiver = WebhookReceiver(
        application,
        secret=secret,
        path=urlsplit(url).path,
        host=settings.webhook_listen,
        port=settings.webhook_port,
        max_body_bytes=settings.webhook_max_body_bytes,
    )
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    try:
        await receiver.start()
        await application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        try:
            yield application
        finally:
            # No new updates while the application finishes the ones it has.
            await receiver.stop()
            await application.stop()
    finally:
        await receiver.stop()  # a no-op unless starting failed half-way
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
