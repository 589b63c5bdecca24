"""The .ics file: RFC 5545 all-day events, local dates, and UIDs that say what an event is."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

from bot.i18n import translator
from bot.render.calendar_file import (
    calendar_bytes,
    calendar_events,
    event_uid,
    revision,
    uid_key,
)
from bot.usecases.schedule import Schedule, plan_schedule
from rules import Procedure, default_guidance
from tests.bot.schedules import NOW, a_patient, a_realistic_year, a_treatment, schedule_of

KEY = uid_key("123456:TEST")
EN = translator("en")
ES = translator("es")
UID = re.compile(r"[0-9a-f]{32}@interval-bot")


def _parsed(schedule: Schedule, language: str = "en", key: bytes = KEY) -> Calendar:
    return Calendar.from_ical(calendar_bytes(schedule, key, translator(language)))


def _events(calendar: Calendar) -> dict[str, Event]:
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def _day(event: Event, name: str) -> date:
    value = event.decoded(name)
    assert type(value) is date, f"{name} is a DATE, not a date-time: {value!r}"
    return value


def test_the_file_holds_planned_entries_and_first_possible_days_as_all_day_events() -> None:
    calendar = _parsed(a_realistic_year())
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    events = _events(calendar)
    assert {name: _day(e, "DTSTART") for name, e in events.items()} == {
        "Botox (planned)": date(2026, 12, 15),
        "Microneedling (planned)": date(2027, 1, 19),
        "Botox: first possible day": date(2027, 3, 15),
        "Microneedling: first possible day": date(2026, 11, 24),
    }
    for event in events.values():
        assert _day(event, "DTEND") == _day(event, "DTSTART") + timedelta(days=1)
        assert event["DTSTART"].params["VALUE"] == "DATE"
        assert str(event["TRANSP"]) == "TRANSPARENT"
        assert event.decoded("DTSTAMP") == NOW


def test_past_entries_and_an_entry_today_are_not_in_the_file() -> None:
    schedule = schedule_of(
        [(Procedure.BOTOX, date(2026, 9, 1)), (Procedure.MICRONEEDLING, date(2026, 11, 24))]
    )
    names = sorted(str(e["SUMMARY"]) for e in calendar_events(schedule, KEY, EN))
    assert names == ["Botox: first possible day", "Microneedling: first possible day"]


def test_each_description_gives_the_reason_and_asks_to_confirm_with_the_provider() -> None:
    events = _events(_parsed(a_realistic_year()))
    planned = str(events["Microneedling (planned)"]["DESCRIPTION"])
    assert planned.startswith("Your planned microneedling.\n")
    assert (
        "Because of your planned microneedling on 19 Jan, Botox should be done by 5 Jan: "
        "at least 14 days before microneedling." in planned
    )
    assert (
        "Because of your planned microneedling on 19 Jan, microneedling should wait until "
        "16 Feb: at least 28 days after microneedling." in planned
    )
    first = str(events["Botox: first possible day"]["DESCRIPTION"])
    assert first.startswith(
        "Botox: earliest Mon, 15 Mar 2027 — because of your planned Botox on 15 Dec, Botox "
        "should wait until 15 Mar: at least 90 days after Botox."
    )
    for event in events.values():
        description = str(event["DESCRIPTION"])
        assert description.endswith(
            "\n\nThis is guidance, not medical advice. Please confirm the timing with your "
            "provider before booking."
        )
        assert "<" not in description, "no HTML in a calendar"


def test_uids_name_the_event_not_the_export_and_reveal_no_id() -> None:
    first = calendar_events(a_realistic_year(), KEY, EN)
    later = calendar_events(a_realistic_year(now=NOW + timedelta(days=3, hours=2)), KEY, EN)
    assert [str(e["UID"]) for e in first] == [str(e["UID"]) for e in later]
    patient = a_patient()
    for event in first:
        uid = str(event["UID"])
        assert UID.fullmatch(uid), uid
        assert str(patient.telegram_user_id) not in uid
    assert len({str(e["UID"]) for e in first}) == len(first), "one UID per event"


def test_another_patient_or_another_bot_gets_other_uids_for_the_same_dates() -> None:
    ana = {str(e["UID"]) for e in calendar_events(a_realistic_year(), KEY, EN)}
    ben_schedule = a_realistic_year(patient=a_patient(8))
    ben = {str(e["UID"]) for e in calendar_events(ben_schedule, KEY, EN)}
    other_bot = {
        str(e["UID"]) for e in calendar_events(a_realistic_year(), uid_key("999:OTHER"), EN)
    }
    assert ana.isdisjoint(ben)
    assert ana.isdisjoint(other_bot)


def test_a_uid_is_a_keyed_hash_of_the_patient_and_what_the_event_is() -> None:
    assert event_uid(KEY, 7, "planned/3") == event_uid(KEY, 7, "planned/3")
    assert event_uid(KEY, 7, "planned/3") != event_uid(KEY, 7, "planned/4")
    assert event_uid(KEY, 7, "planned/3") != event_uid(KEY, 8, "planned/3")
    assert event_uid(KEY, 7, "earliest/botox") != event_uid(KEY, 7, "earliest/microneedling")


def test_moving_a_planned_entry_keeps_its_uid_and_raises_its_sequence() -> None:
    before = a_treatment(5, Procedure.BOTOX, date(2026, 12, 15))
    moved = replace(before, on=date(2026, 12, 22), updated_at=NOW + timedelta(hours=1))
    guidance = default_guidance()
    old, new = (
        plan_schedule(a_patient(), [treatment], guidance, NOW + timedelta(hours=2))
        for treatment in (before, moved)
    )
    (old_event,) = [e for e in calendar_events(old, KEY, EN) if "planned" in str(e["SUMMARY"])]
    (new_event,) = [e for e in calendar_events(new, KEY, EN) if "planned" in str(e["SUMMARY"])]
    assert str(new_event["UID"]) == str(old_event["UID"])
    assert _day(new_event, "DTSTART") == date(2026, 12, 22)
    assert int(new_event["SEQUENCE"]) > int(old_event["SEQUENCE"])


def test_exporting_again_keeps_a_planned_entrys_sequence_and_renews_the_first_days() -> None:
    def sequences(now: datetime) -> dict[str, int]:
        events = calendar_events(a_realistic_year(now=now), KEY, EN)
        return {str(e["SUMMARY"]): int(e["SEQUENCE"]) for e in events}

    first, again = sequences(NOW), sequences(NOW + timedelta(hours=5))
    assert again["Botox (planned)"] == first["Botox (planned)"]
    assert again["Botox: first possible day"] > first["Botox: first possible day"]


def test_a_revision_counts_minutes_and_fits_a_32_bit_integer() -> None:
    assert revision(NOW + timedelta(minutes=1)) == revision(NOW) + 1
    assert revision(NOW + timedelta(seconds=59)) == revision(NOW)
    assert revision(datetime.fromisoformat("6000-01-01T00:00:00+00:00")) < 2**31


def test_the_dates_are_the_patients_local_dates() -> None:
    # 12:00 UTC on 24 Nov is 01:00 on 25 Nov in Auckland: the first possible day after a
    # Botox on 10 Nov (24 Nov) has already passed there, so it is today, the 25th.
    auckland = a_patient(timezone="Pacific/Auckland")
    noon_utc = datetime.fromisoformat("2026-11-24T12:00:00+00:00")
    schedule = schedule_of([(Procedure.BOTOX, date(2026, 11, 10))], patient=auckland, now=noon_utc)
    calendar = _parsed(schedule)
    assert str(calendar["X-WR-TIMEZONE"]) == "Pacific/Auckland"
    micro = _events(calendar)["Microneedling: first possible day"]
    assert _day(micro, "DTSTART") == date(2026, 11, 25)
    assert "possible from today" in str(micro["DESCRIPTION"])


def test_the_file_in_spanish() -> None:
    calendar = _parsed(a_realistic_year(patient=a_patient(language="es")), "es")
    events = _events(calendar)
    assert set(events) == {
        "Bótox (previsto)",
        "Microneedling (previsto)",
        "Bótox: primer día posible",
        "Microneedling: primer día posible",
    }
    planned = str(events["Bótox (previsto)"]["DESCRIPTION"])
    assert planned.startswith("Tu bótox previsto.\n")
    assert "Confirma las fechas con tu profesional" in planned
    assert str(events["Bótox: primer día posible"]["DESCRIPTION"]).startswith(
        "Bótox: como pronto el lun, 15 mar 2027"
    )


def test_a_planned_entry_tells_first_what_it_means_for_the_other_procedure() -> None:
    events = _events(_parsed(a_realistic_year()))
    lines = str(events["Botox (planned)"]["DESCRIPTION"]).split("\n")
    assert lines[:4] == [
        "Your planned Botox.",
        "Because of your planned Botox on 15 Dec, microneedling should be done by 8 Dec: "
        "at least 7 days before Botox.",
        "Because of your planned Botox on 15 Dec, microneedling should wait until 29 Dec: "
        "at least 14 days after Botox.",
        "Because of your planned Botox on 15 Dec, Botox should wait until 15 Mar: "
        "at least 90 days after Botox.",
    ]
    # Botox 90 days before 15 Dec would have been by 16 Sep: gone, so not said.
    assert "16 Sep" not in str(events["Botox (planned)"]["DESCRIPTION"])
