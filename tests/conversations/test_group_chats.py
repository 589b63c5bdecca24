"""In a group the bot shows nothing and stores nothing: it points to the private chat."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.clock import FakeClock
from bot.context import BotApp
from rules import Procedure
from sandbox import Sandbox
from storage.database import Database
from storage.models import PatientRow
from tests.conversations.helpers import log_directly, onboard
from tests.fixtures.sandbox import SANDBOX_BOT_USERNAME

GROUP = -100_500
POINTER = "I only work in a private chat"


async def _patient_chats(database: Database) -> list[int]:
    async with database.engine.connect() as connection:
        return list((await connection.scalars(select(PatientRow.chat_id))).all())


async def test_patient_commands_and_free_text_in_a_group_only_point_to_the_private_chat(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    group = sandbox.group(GROUP, "Friends")
    rosa = sandbox.user(1001, first_name="Rosa")
    for text, landing in (
        ("/export", "c_export"),
        ("/next", "c_next"),
        ("/history", "c_history"),
        ("/log", "c_log"),
        ("/start", "c_start"),
        (f"/next@{SANDBOX_BOT_USERNAME}", "c_next"),
        ("had botox yesterday", None),
    ):
        await group.send(rosa, text)
        answer = await group.next_message()
        assert POINTER in (answer.text or ""), text
        assert answer.document is None, text
        url = group.url_of(answer, f"Open @{SANDBOX_BOT_USERNAME}")
        expected = f"https://t.me/{SANDBOX_BOT_USERNAME}"
        assert url == (f"{expected}?start={landing}" if landing else expected), text
        assert "202" not in (answer.text or ""), "no date is shown in a group"
    # "I agree", forged onto the bot's message in the group: refused, nothing stored.
    query = await group.press(rosa, group.messages[-1], "on:yes")
    await group.wait_until_idle(quiet=0.2)
    answers = [a for a in rosa.answered_callbacks if a.query_id == query]
    assert answers
    assert POINTER in (answers[0].text or "")
    assert await _patient_chats(bot_database) == []
    assert rosa.messages == [], "nothing reached Rosa's private chat either"


async def test_a_patients_dates_never_show_in_a_group(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    group = sandbox.group(GROUP, "Friends")
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    await group.send(ana, "/next")
    answer = await group.next_message()
    assert POINTER in (answer.text or "")
    assert "Nov" not in (answer.text or "")
    assert "Botox" not in (answer.text or "")
    assert sorted(await _patient_chats(bot_database)) == [1001]


async def test_the_bot_added_to_a_group_says_once_what_it_is_for_then_keeps_quiet(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    group = sandbox.group(GROUP, "Clinic team")
    owner = sandbox.user(1001)
    await group.add_bot(owner)
    intro = await group.next_message()
    assert "I only work in a private chat with each person" in (intro.text or "")
    await group.send(owner, "good morning everyone")
    await group.send(owner, "see you at nine")
    await group.wait_until_idle(quiet=0.2)
    assert len(group.messages) == 1, "people talking to each other get nothing"


async def test_the_pointer_lands_on_the_same_command_in_the_private_chat(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("/start c_next")
    texts = [(await ana.next_message()).text or "", (await ana.next_message()).text or ""]
    assert "Welcome back" in texts[0]
    assert "no treatments logged yet" in texts[1], texts
    await ana.send("/start c_export")
    await ana.next_message()
    export = await ana.next_message()
    assert export.document is not None


async def test_a_new_patient_landing_from_a_group_gives_consent_first(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ben = sandbox.user(1002)
    await ben.send("/start c_next")
    welcome = await ben.next_message()
    assert "Do you agree?" in (welcome.text or "")
    assert await _patient_chats(bot_database) == [], "nothing stored before consent"
    await ben.press(welcome, callback_data="on:yes")
    question = await ben.next_message()
    await ben.press(question, callback_data="tz:Europe/Berlin")
    done = await ben.next_message()
    assert "All set" in (done.text or "")
    outlook = await ben.next_message()
    assert "no treatments logged yet" in (outlook.text or "")
