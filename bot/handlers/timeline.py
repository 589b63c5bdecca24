"""/timeline and 📈 under /next: the patient's treatments and dates to wait as a picture."""

from __future__ import annotations

import asyncio

from telegram import InputFile, Update
from telegram.ext import CommandHandler

from bot.buttons import TimelinePicture
from bot.context import AppContext, BotApp
from bot.kit.buttons import Button
from bot.kit.screens import answer, reply
from bot.render.common import ask_to_start
from bot.render.timeline import nothing_to_draw, picture_filename, timeline_caption
from bot.render.timeline_drawing import timeline_png
from bot.usecases.schedule import schedule


async def _send_timeline(update: Update, context: AppContext) -> None:
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
        await reply(update, nothing_to_draw(t))
        return
    # Drawing takes a good part of a second of CPU: in a worker thread, other chats go on.
    picture = await asyncio.to_thread(timeline_png, found, t)
    await chat.send_photo(
        photo=InputFile(picture, filename=picture_filename(found.today)),
        caption=timeline_caption(found, t),
    )


async def on_timeline(update: Update, context: AppContext) -> None:
    """/timeline: the asker's own timeline picture."""
    await _send_timeline(update, context)


async def on_timeline_button(update: Update, context: AppContext, pressed: TimelinePicture) -> None:
    """📈 My timeline, under /next."""
    await answer(update, context)
    await _send_timeline(update, context)


def register(application: BotApp) -> None:
    """Register /timeline and its button."""
    application.add_handler(CommandHandler("timeline", on_timeline))
    application.add_handler(Button(TimelinePicture, on_timeline_button))
