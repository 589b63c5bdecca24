"""/calendar end to end: an .ics document of planned entries and first possible days."""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar, Event

from bot.clock import FakeClock
from bot.context import BotApp
from bot.usecases.treatments import change_date
from rules import Procedure
from sandbox import Sandbox
from sandbox.records import BotMessage
from sandbox.users import SandboxUser
from storage.database import Database
from tests.conversations._steps import answer_to
from tests.conversations.helpers import log_directly, onboard, patient_of
from tests.fixtures.sandbox import SANDBOX_BOT_USERNAME

PROVIDER = (
    "This is guidance, not medical advice. Please confirm the timing with your provider "
    "before booking."
)


async def _calendar(user: SandboxUser) -> tuple[BotMessage, Calendar]:
    await user.send("/calendar")
    sent = await user.next_message()
    assert sent.method == "sendDocument", sent.text
    assert sent.document is not None
    return sent, Calendar.from_ical(sent.document.content)


def _events(calendar: Calendar) -> dict[str, Event]:
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def _dates(calendar: Calendar) -> dict[str, tuple[date, date]]:
    return {
        name: (event.decoded("DTSTART"), event.decoded("DTEND"))
        for name, event in _events(calendar).items()
    }


def _uids(calendar: Calendar) -> dict[str, str]:
    return {name: str(event["UID"]) for name, event in _events(calendar).items()}


async def test_calendar_sends_the_planned_entries_and_first_possible_days_as_an_ics_file(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    await log_directly(bot_database, 1001, Procedure.MICRONEEDLING, date(2027, 1, 20), clock.now())
    sent, calendar = await _calendar(ana)
    assert sent.document is not None
    assert sent.document.file_name == "interval-calendar-2026-11-24.ics"
    assert sent.document.mime_type == "text/calendar"
    assert "as a calendar file" in (sent.text or "")
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    # The Botox of 20 Nov is done: it is in the history, not in the calendar.
    assert _dates(calendar) == {
        "Microneedling (planned)": (date(2027, 1, 20), date(2027, 1, 21)),
        "Botox: first possible day": (date(2027, 2, 18), date(2027, 2, 19)),
        "Microneedling: first possible day": (date(2026, 12, 4), date(2026, 12, 5)),
    }
    first = str(_events(calendar)["Microneedling: first possible day"]["DESCRIPTION"])
    assert first == (
        "Microneedling: earliest Fri, 4 Dec 2026 — because of your Botox on 20 Nov, "
        "microneedling should wait until 4 Dec: at least 14 days after Botox.\n\n" + PROVIDER
    )
    planned = str(_events(calendar)["Microneedling (planned)"]["DESCRIPTION"])
    assert planned.startswith("Your planned microneedling.\nBecause of your planned")
    assert planned.endswith(PROVIDER)
    assert b"1001" not in sent.document.content, "no Telegram id in the file"


async def test_a_second_export_updates_the_same_events_and_another_patient_has_other_uids(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana, ben = sandbox.user(1001), sandbox.user(1002)
    for user in (ana, ben):
        await onboard(user)
        await log_directly(bot_database, user.id, Procedure.BOTOX, date(2026, 12, 15), clock.now())
    _, first = await _calendar(ana)
    clock.advance(timedelta(hours=6))
    _, again = await _calendar(ana)
    assert _uids(again) == _uids(first)
    planned = "Botox (planned)"
    assert _events(again)[planned]["SEQUENCE"] == _events(first)[planned]["SEQUENCE"]
    assert _events(again)[planned].decoded("DTSTAMP") > _events(first)[planned].decoded("DTSTAMP")
    _, bens = await _calendar(ben)
    assert _dates(bens) == _dates(first), "the same dates..."
    assert set(_uids(bens).values()).isdisjoint(_uids(first).values()), "...but not the same UIDs"


async def test_a_moved_planned_entry_keeps_its_uid_with_the_new_date_and_a_higher_sequence(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    planned = await log_directly(
        bot_database, 1001, Procedure.BOTOX, date(2026, 12, 15), clock.now()
    )
    _, before = await _calendar(ana)
    clock.advance(timedelta(minutes=10))
    patient = await patient_of(bot_database, 1001)
    await change_date(bot_database, patient, planned.id, date(2026, 12, 22), clock.now())
    _, after = await _calendar(ana)
    old, new = _events(before)["Botox (planned)"], _events(after)["Botox (planned)"]
    assert str(new["UID"]) == str(old["UID"])
    assert new.decoded("DTSTART") == date(2026, 12, 22)
    assert int(new["SEQUENCE"]) > int(old["SEQUENCE"])
    assert len(_events(after)) == len(_events(before)) == 3


async def test_the_dates_are_the_patients_local_dates_in_their_zone(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    mia = sandbox.user(1001)
    await onboard(mia, zone="Australia/Sydney")
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 10), clock.now())
    # 13:30 UTC on 24 Nov is already 00:30 on 25 Nov in Sydney: microneedling, possible from
    # the 24th after that Botox, is possible from today there, the 25th.
    clock.advance(timedelta(hours=4))
    sent, calendar = await _calendar(mia)
    assert str(calendar["X-WR-TIMEZONE"]) == "Australia/Sydney"
    assert sent.document is not None
    assert sent.document.file_name == "interval-calendar-2026-11-25.ics"
    start, _end = _dates(calendar)["Microneedling: first possible day"]
    assert start == date(2026, 11, 25)


async def test_calendar_in_spanish(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    await log_directly(bot_database, 2002, Procedure.BOTOX, date(2026, 12, 15), clock.now())
    sent, calendar = await _calendar(lucia)
    assert (sent.text or "").startswith("📅 Tus tratamientos previstos")
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Madrid"
    events = _events(calendar)
    assert set(events) == {
        "Bótox (previsto)",
        "Bótox: primer día posible",
        "Microneedling: primer día posible",
    }
    description = str(events["Microneedling: primer día posible"]["DESCRIPTION"])
    assert description.startswith("Microneedling: posible desde hoy.")
    assert "Confirma las fechas con tu profesional" in description


async def test_calendar_without_history_or_consent_sends_no_file(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana, stranger = sandbox.user(1001), sandbox.user(3003)
    await onboard(ana)
    await ana.send("/calendar")
    empty = await ana.next_message()
    assert empty.method == "sendMessage"
    assert "nothing to put in a calendar yet" in (empty.text or "")
    await stranger.send("/calendar")
    assert "send /start first" in ((await stranger.next_message()).text or "")


async def test_next_offers_the_calendar_file_and_the_timeline_as_buttons(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    await ana.send("/next")
    outlook = await ana.next_message()
    assert outlook.button_texts == ["📅 Add to my calendar", "📈 My timeline"]
    query = await ana.press(outlook, "📅 Add to my calendar")
    await answer_to(ana, query)
    document = await ana.next_message()
    assert document.method == "sendDocument"
    assert document.document is not None
    assert document.document.file_name == "interval-calendar-2026-11-24.ics"
    query = await ana.press(outlook, "📈 My timeline")
    await answer_to(ana, query)
    picture = await ana.next_message()
    assert picture.method == "sendPhoto"
    assert outlook.button_texts == ["📅 Add to my calendar", "📈 My timeline"], "still there"


async def test_next_without_history_offers_no_files(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await ana.send("/next")
    assert (await ana.next_message()).button_texts == []


async def test_the_buttons_under_next_in_spanish(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    await log_directly(bot_database, 2002, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    await lucia.send("/next")
    outlook = await lucia.next_message()
    assert outlook.button_texts == ["📅 Añadir a mi calendario", "📈 Mi cronología"]


async def test_in_a_group_calendar_and_timeline_only_point_to_the_private_chat(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    group = sandbox.group(-100_500, "Friends")
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 12, 15), clock.now())
    for command in ("calendar", "timeline"):
        await group.send(ana, f"/{command}")
        pointer = await group.next_message()
        assert pointer.document is None
        assert pointer.photo is None
        assert "I only work in a private chat" in (pointer.text or "")
        url = group.url_of(pointer, f"Open @{SANDBOX_BOT_USERNAME}")
        assert url == f"https://t.me/{SANDBOX_BOT_USERNAME}?start=c_{command}"
    # The link lands on the same command in the private chat.
    await ana.send("/start c_calendar")
    await ana.next_message()
    landed = await ana.next_message()
    assert landed.document is not None
    assert landed.document.file_name == "interval-calendar-2026-11-24.ics"


async def test_the_calendar_says_planned_botox_in_the_description_of_a_botox_to_come(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, 1001, Procedure.BOTOX, date(2026, 12, 15), clock.now())
    _sent, calendar = await _calendar(ana)
    planned = str(_events(calendar)["Botox (planned)"]["DESCRIPTION"])
    assert (
        "Because of your planned Botox on 15 Dec, microneedling should wait until 29 Dec: "
        "at least 14 days after Botox." in planned
    )
    assert "Because of your Botox" not in planned


async def test_the_calendar_in_spanish_says_botox_previsto_for_a_botox_to_come(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    await log_directly(bot_database, 2002, Procedure.BOTOX, date(2026, 12, 15), clock.now())
    _sent, calendar = await _calendar(lucia)
    planned = str(_events(calendar)["Bótox (previsto)"]["DESCRIPTION"])
    assert (
        "Por tu bótox previsto el 15 dic, el microneedling debería esperar hasta el 29 dic: "
        "al menos 14 días después del bótox." in planned
    )
    assert "Por tu bótox del 15 dic" not in planned
