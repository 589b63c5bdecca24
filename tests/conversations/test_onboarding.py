"""/start end to end: the real Application talking HTTP to the sandbox."""

from __future__ import annotations

from bot.context import BotApp
from sandbox import Sandbox
from storage.database import Database


async def _patient_count(database: Database) -> int:
    async with database.unit_of_work() as uow:
        counts = await uow.patients.count_by_state()
    return sum(counts.values())


async def test_start_explains_the_bot_and_asks_for_consent_before_storing_anything(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001, first_name="Ana")
    await ana.send("/start")
    welcome = await ana.next_message()
    assert "Welcome to Interval" in (welcome.text or "")
    assert "not medical advice" in (welcome.text or "")
    assert welcome.button_texts == ["✅ I agree", "No, thanks"]
    assert await _patient_count(bot_database) == 0


async def test_consenting_and_choosing_a_time_zone_stores_the_patient_once(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001, first_name="Ana")
    await ana.send("/start")
    await ana.press(await ana.next_message(), "✅ I agree")
    question = await ana.next_message()
    assert "time zone" in (question.text or "")
    await ana.press(question, "America/New_York")
    done = await ana.next_message()
    assert "America/New_York" in (done.text or "")
    assert "confirm the timing with your provider" in (done.text or "")
    await ana.send("/start")
    again = await ana.next_message()
    assert "Welcome back" in (again.text or "")
    async with bot_database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(1001)
    assert patient is not None
    assert patient.timezone == "America/New_York"
    assert await _patient_count(bot_database) == 1


async def test_a_typed_city_sets_the_time_zone_and_an_unknown_one_is_asked_again(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await ana.send("/start")
    await ana.press(await ana.next_message(), "✅ I agree")
    await ana.next_message()
    await ana.send("Atlantis")
    retry = await ana.next_message()
    assert "don't know that place" in (retry.text or "")
    await ana.send("Kathmandu")
    assert "Asia/Kathmandu" in ((await ana.next_message()).text or "")


async def test_declining_stores_nothing_and_says_how_to_come_back(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await ana.send("/start")
    await ana.press(await ana.next_message(), "No, thanks")
    answer = await ana.next_message()
    assert "nothing was stored" in (answer.text or "")
    assert "/start" in (answer.text or "")
    assert await _patient_count(bot_database) == 0


async def test_a_spanish_speaker_is_welcomed_in_spanish(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    lucia = sandbox.user(2002, first_name="Lucía", language_code="es")
    await lucia.send("/start")
    welcome = await lucia.next_message()
    assert "Bienvenida" in (welcome.text or "") or "Bienvenido" in (welcome.text or "")
    await lucia.press(welcome, "✅ Acepto")
    await lucia.press(await lucia.next_message(), "Europe/Madrid")
    assert "Europe/Madrid" in ((await lucia.next_message()).text or "")
    async with bot_database.unit_of_work() as uow:
        patient = await uow.patients.get_by_user_id(2002)
    assert patient is not None
    assert patient.language == "es"


async def test_another_users_onboarding_leaves_the_first_patient_untouched(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001, first_name="Ana")
    await ana.send("/start")
    await ana.press(await ana.next_message(), "✅ I agree")
    await ana.press(await ana.next_message(), "America/New_York")
    await ana.next_message()
    async with bot_database.unit_of_work() as uow:
        before = await uow.patients.get_by_user_id(1001)
    ben = sandbox.user(2002, first_name="Ben")
    await ben.send("/start")
    await ben.press(await ben.next_message(), "✅ I agree")
    await ben.press(await ben.next_message(), "Europe/London")
    await ben.next_message()
    # Ben replays Ana's consent and zone buttons: they act on Ben, never on Ana.
    await ben.press_data(ben.messages[-1].message_id, "tz:Asia/Kathmandu")
    await ben.next_message()
    async with bot_database.unit_of_work() as uow:
        after = await uow.patients.get_by_user_id(1001)
        ben_patient = await uow.patients.get_by_user_id(2002)
    assert after == before
    assert ben_patient is not None
    assert ben_patient.timezone == "Asia/Kathmandu"
    assert await _patient_count(bot_database) == 2
