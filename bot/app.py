"""The composition root: builds the python-telegram-bot Application and its services."""

from __future__ import annotations

import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC

from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, Defaults, JobQueue
from telegram.warnings import PTBUserWarning

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import AppContext, BotApp, Services, context_types
from bot.handlers import register_all
from bot.handlers.commands_menu import publish_patient_commands
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

    async def post_init(application: BotApp) -> None:
        db = database or Database(settings.effective_database_url)
        if owns_database:
            # `run` keeps the schema current itself (see docs/operations.md); on PostgreSQL
            # the upgrade holds an advisory lock so replicas starting together do not race.
            await upgrade_to_head(db.url)
        application.bot_data.services = Services(
            settings=settings, clock=clock or SystemClock(), database=db
        )
        await publish_patient_commands(application.bot)
        logger.info("bot @%s ready on %s", application.bot.username, db.dialect_name)

    async def post_shutdown(application: BotApp) -> None:
        if owns_database and application.bot_data.is_ready:
            await application.bot_data.services.database.dispose()

    application: BotApp = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(settings.telegram_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=UTC))
        .context_types(context_types())
        .job_queue(JobQueue[AppContext]())
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
