"""/calendar: planned treatments and each procedure's first possible day as an .ics file.

RFC 5545, built with `icalendar`. Every event is all-day (DTSTART and DTEND are DATE values,
DTEND the day after): a treatment happens on a calendar date in the patient's zone, so the
dates are their local dates as stored, never converted, and X-WR-TIMEZONE names the zone for
the clients that show it.

Importing a newer file must update the events of an older one, never add them twice:

- UID says what an event is, not when it was exported: a planned entry is its treatment id,
  a first possible day is its procedure, each with the patient's database id, HMAC-ed with a
  key derived from the bot token. So the file shows no Telegram id and no database id, and two
  patients never share a UID. A new bot token gives new UIDs: a file exported after the change
  adds its events beside the old ones once.
- SEQUENCE rises when what an event says changes, so a client keeps the newest version: for
  a planned entry it is the minute the entry was last changed (moving it raises it, exporting
  again does not); a first possible day is worked out anew from the whole history at every
  export, so it is the export's minute. DTSTAMP is the export instant, as RFC 5545 asks of a
  file with a METHOD (3.8.7.2).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event

from bot.i18n import Translator
from bot.render.outlook import earliest_sentence
from bot.render.reasons import reason_sentence
from bot.render.words import capitalised, plain, procedure_name, provider_prompt
from bot.usecases.overview import ProcedureOutlook
from bot.usecases.schedule import Schedule, entry_of
from rules import Direction, Procedure, reasons_from_entry
from storage.records import Treatment

PRODID = "-//Interval//Interval bot//EN"
UID_DOMAIN = "interval-bot"
MIME_TYPE = "text/calendar"
# Separates this key from any other use of the token; bump the version to start new UIDs.
_KEY_LABEL = b"interval/calendar-uid/v1"
# SEQUENCE counts minutes from here: small enough for RFC 5545's 32-bit INTEGER until 6000.
_REVISION_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def uid_key(token: str) -> bytes:
    """The per-bot secret the UIDs are keyed with, derived from the bot token."""
    return hmac.new(token.encode(), _KEY_LABEL, hashlib.sha256).digest()


def event_uid(key: bytes, patient_id: int, what: str) -> str:
    """A UID for `what` (e.g. `planned/42`) of one patient that reveals neither."""
    digest = hmac.new(key, f"{patient_id}/{what}".encode(), hashlib.sha256).hexdigest()
    return f"{digest[:32]}@{UID_DOMAIN}"


def revision(instant: datetime) -> int:
    """The SEQUENCE of facts last changed at `instant`: whole minutes since 2024."""
    return max(0, int((instant - _REVISION_EPOCH).total_seconds() // 60))


def calendar_filename(today: date) -> str:
    """`interval-calendar-2026-11-24.ics`."""
    return f"interval-calendar-{today.isoformat()}.ics"


def calendar_caption(t: Translator) -> str:
    """The caption of the calendar file."""
    return t.gettext(
        "📅 Your planned treatments and the first possible day of each procedure, as a "
        "calendar file. Open it to add them to your calendar; a newer file updates the same "
        "events."
    )


def nothing_for_the_calendar(t: Translator) -> str:
    """/calendar from a patient who has logged nothing yet."""
    return t.gettext(
        "There is nothing to put in a calendar yet: log a treatment with /log, or just "
        "write “botox planned 10 dec”."
    )


def _sentence(text: str) -> str:
    return capitalised(text) + "."


def _all_day(event: Event, day: date) -> None:
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    # A day to keep in mind, not a busy one: it must not block meetings in the calendar.
    event.add("transp", "TRANSPARENT")


def _planned_event(treatment: Treatment, schedule: Schedule, key: bytes, t: Translator) -> Event:
    name = capitalised(procedure_name(treatment.procedure, t))
    entry = entry_of(treatment)
    lines = [
        t.gettext("Your planned {procedure}.").format(
            procedure=procedure_name(treatment.procedure, t)
        )
    ]
    # What the entry means for the other procedure first, then for the next of its own kind.
    for procedure in sorted(Procedure, key=lambda p: p is treatment.procedure):
        lines.extend(
            _sentence(reason_sentence(reason, t))
            for reason in reasons_from_entry(
                entry, procedure, schedule.guidance, today=schedule.today
            )
            # "Should be done by" a day already gone is advice no one can follow any more.
            if reason.direction is Direction.AFTER or reason.boundary >= schedule.today
        )
    event = Event()
    event.add("uid", event_uid(key, schedule.patient_id, f"planned/{treatment.id}"))
    event.add("dtstamp", schedule.now.astimezone(UTC))
    event.add("created", treatment.created_at.astimezone(UTC))
    event.add("last-modified", treatment.updated_at.astimezone(UTC))
    event.add("sequence", revision(treatment.updated_at))
    event.add("summary", t.gettext("{procedure} (planned)").format(procedure=name))
    event.add("description", "\n".join([*lines, "", plain(provider_prompt(t))]))
    _all_day(event, treatment.on)
    return event


def _earliest_event(
    outlook: ProcedureOutlook, schedule: Schedule, key: bytes, t: Translator
) -> Event:
    earliest = outlook.earliest
    name = capitalised(procedure_name(earliest.procedure, t))
    event = Event()
    event.add("uid", event_uid(key, schedule.patient_id, f"earliest/{earliest.procedure.value}"))
    event.add("dtstamp", schedule.now.astimezone(UTC))
    event.add("sequence", revision(schedule.now))
    event.add("summary", t.gettext("{procedure}: first possible day").format(procedure=name))
    description = plain(earliest_sentence(earliest, schedule.today, t))
    event.add("description", "\n".join([description, "", plain(provider_prompt(t))]))
    _all_day(event, earliest.date)
    return event


def calendar_events(schedule: Schedule, key: bytes, t: Translator) -> list[Event]:
    """The events of the file: planned entries by date, then each first possible day."""
    events = [_planned_event(treatment, schedule, key, t) for treatment in schedule.planned]
    # `earliest_date` never answers before today, so every first possible day is ahead.
    events.extend(_earliest_event(outlook, schedule, key, t) for outlook in schedule.outlooks)
    return events


def calendar_bytes(schedule: Schedule, key: bytes, t: Translator) -> bytes:
    """The .ics file of `schedule` in the patient's language."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Interval")
    calendar.add("x-wr-timezone", schedule.timezone)
    for event in calendar_events(schedule, key, t):
        calendar.add_component(event)
    # `to_ical` is typed loosely; it gives the folded, CRLF-separated bytes of RFC 5545.
    return bytes(calendar.to_ical())
