"""/calendar and 📅 under /next: planned treatments and first possible days as an .ics file."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import CommandHandler

from bot.buttons import CalendarFile
from bot.context import AppContext, BotApp
from bot.kit.buttons import Button
from bot.kit.screens import answer, reply
from bot.render import calendar_file as view
from bot.render.common import ask_to_start
from bot.usecases.schedule import schedule


async def _send_calendar(update: Update, context: AppContext) -> None:
    t = context.t
    patient = context.patient
    chat = update.effective_chat
    if chat is None:
        return
    if patient is None:
        await reply(update, ask_to_start(t))
        return
    services = context.services
    found = await schedule(services.database, patient, services.clock.now())
    if not found.has_history:
        await reply(update, view.nothing_for_the_calendar(t))
        return
    content = view.calendar_bytes(found, view.uid_key(services.settings.token()), t)
    await chat.send_document(
        document=InputFile(content, filename=view.calendar_filename(found.today)),
        caption=view.calendar_caption(t),
    )


async def on_calendar(update: Update, context: AppContext) -> None:
    """/calendar: the presser's own calendar file."""
    await _send_calendar(update, context)


async def on_calendar_button(update: Update, context: AppContext, pressed: CalendarFile) -> None:
    """📅 Add to my calendar, under /next."""
    await answer(update, context)
    await _send_calendar(update, context)


def register(application: BotApp) -> None:
    """Register /calendar and its button."""
    application.add_handler(CommandHandler("calendar", on_calendar))
    application.add_handler(Button(CalendarFile, on_calendar_button))
