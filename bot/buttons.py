"""Every button of the bot: its prefix, its fields, and so the one list of callback data.

| prefixes | flow |
|---|---|
| `noop` | an inert button (calendar headings, the page counter) |
| `on`, `tz` | /start: consent yes / no; a time-zone name |
| `lg:p` `lg:m` `lg:d` `lg:s` `lg:x` | /log: procedure, month, day, save, cancel |
| `ft:s` `ft:x` | free text: save what was understood, cancel |
| `hi:p` `hi:e` `hi:c` `hi:m` `hi:d` | /history: page, entry, change date, month, new day |
| `hi:f` `hi:x` `hi:y` | /history: save anyway, ask to delete, delete |
| `nx:c` `nx:t` | /next: send the calendar file, send the timeline picture |
| `st` `st:tz` `st:h` `st:d` `st:q` | /settings: open a topic, zone, hour, heads-up, quiet |
| `st:l` `st:b` `st:a` `st:c:l` `st:c:y` | /settings: language, clinic news, aftercare, leave |
| `pv:k` `pv:a` `pv:d` | /delete: keep, first yes, second yes (with the nonce) |
| `rm:b` `rm:s` `rm:x` `rm:d` `rm:m` | a reminder: Booked, snooze, Not for me, day, month |
| `cl:sw` `cl:stay` `cl:c` | clinics: switch (join code), stay, clinic for /stats |
| `bc:c` `bc:a` `bc:d` `bc:go` `bc:x` `bc:n` | /broadcast: clinic, audience, window, send, |
| | stop or drop, notice of a guidance change |
| `gd:c` `gd:e` `gd:ok` `gd:x` `gd:done` | /guidance: clinic, edit, apply, drop, close |
| `tm:c` `tm:m` `tm:r` `tm:x` `tm:y` | /staff: clinic (or back), member, role, remove (ask, do) |
| `tm:i` `tm:v` `tm:j` `tm:k` | /staff: new invite, revoke an invite, new join link (ask, do) |
| `af:c` `af:p` `af:e` `af:d` `af:s` | /guidance → Aftercare: clinic, procedure, edit, usual, save |
| `qa:a` `qa:s` `qa:x` | questions: Ask my clinic, send (with or without history), cancel |
| `qa:r` | questions, in a staff chat: Reply to this question |

Ids are looked up scoped to whoever presses (their own patient, their own clinic as staff),
so a forged id behaves like one that does not exist. The wire format is the one buttons
already sent to chats carry, so they keep working across upgrades.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from bot.callbacks import CallbackData, Month, Range, Token, register
from bot.i18n import Language
from rules import Procedure

# IANA zone names: letters, digits, `_ + - /` (e.g. America/Argentina/Buenos_Aires, Etc/GMT+5).
Zone = Annotated[str, Token(r"[A-Za-z][A-Za-z0-9_+\-/]{1,40}")]
# Outbox rows have BIGINT ids.
OutboxId = Annotated[int, Range(0, 2**63 - 1)]
# Telegram user ids need up to 52 bits.
UserId = Annotated[int, Range(1, 2**53 - 1)]
# Deep-link codes and nonces: Telegram's deep-link alphabet.
Code = Annotated[str, Token(r"[A-Za-z0-9_-]{1,40}")]


@register
@dataclass(frozen=True, slots=True)
class Noop(CallbackData, prefix="noop"):
    """A button that does nothing (a heading, a blank, the page counter)."""


# --- /start ------------------------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class Consent(CallbackData, prefix="on"):
    """The answer to the consent question."""

    answer: Literal["yes", "no"]


@register
@dataclass(frozen=True, slots=True)
class ZoneChoice(CallbackData, prefix="tz"):
    """A time-zone button at the end of onboarding."""

    zone: Zone


# --- /log and free text ------------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class LogProcedure(CallbackData, prefix="lg:p"):
    """A procedure chosen: show the calendar."""

    procedure: Procedure


@register
@dataclass(frozen=True, slots=True)
class LogMonth(CallbackData, prefix="lg:m"):
    """◀ ▶ in the /log calendar."""

    procedure: Procedure
    month: Month

    @property
    def key(self) -> Procedure:
        """What the date is for."""
        return self.procedure


@register
@dataclass(frozen=True, slots=True)
class LogDay(CallbackData, prefix="lg:d"):
    """A day in the /log calendar: show the confirm screen."""

    procedure: Procedure
    on: date

    @property
    def key(self) -> Procedure:
        """What the date is for."""
        return self.procedure


@register
@dataclass(frozen=True, slots=True)
class LogSave(CallbackData, prefix="lg:s"):
    """Save (or "Save anyway"); saving twice stores it once."""

    procedure: Procedure
    on: date


@register
@dataclass(frozen=True, slots=True)
class LogCancel(CallbackData, prefix="lg:x"):
    """Cancel /log."""


@register
@dataclass(frozen=True, slots=True)
class FreeTextSave(CallbackData, prefix="ft:s"):
    """Save what a sentence was understood as."""

    procedure: Procedure
    on: date


@register
@dataclass(frozen=True, slots=True)
class FreeTextCancel(CallbackData, prefix="ft:x"):
    """Do not save what a sentence was understood as."""


# --- /history ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryKey:
    """An entry of /history and the page to come back to."""

    entry: int
    page: int


@register
@dataclass(frozen=True, slots=True)
class HistoryPage(CallbackData, prefix="hi:p"):
    """A page of /history (0-based)."""

    page: int


@register
@dataclass(frozen=True, slots=True)
class HistoryEntry(CallbackData, prefix="hi:e"):
    """One entry: Change date, Delete, Back."""

    entry: int
    page: int


@register
@dataclass(frozen=True, slots=True)
class HistoryChange(CallbackData, prefix="hi:c"):
    """Change date: the calendar at the entry's month."""

    entry: int
    page: int


@register
@dataclass(frozen=True, slots=True)
class HistoryMonth(CallbackData, prefix="hi:m"):
    """◀ ▶ in the change-date calendar."""

    entry: int
    page: int
    month: Month

    @property
    def key(self) -> EntryKey:
        """The entry being moved."""
        return EntryKey(self.entry, self.page)


@register
@dataclass(frozen=True, slots=True)
class HistoryDay(CallbackData, prefix="hi:d"):
    """The new date chosen: moved, or the conflicts explained."""

    entry: int
    page: int
    on: date

    @property
    def key(self) -> EntryKey:
        """The entry being moved."""
        return EntryKey(self.entry, self.page)


@register
@dataclass(frozen=True, slots=True)
class HistoryForce(CallbackData, prefix="hi:f"):
    """Save anyway, despite the conflicts."""

    entry: int
    page: int
    on: date


@register
@dataclass(frozen=True, slots=True)
class HistoryDeleteAsk(CallbackData, prefix="hi:x"):
    """Delete: ask first."""

    entry: int
    page: int


@register
@dataclass(frozen=True, slots=True)
class HistoryDelete(CallbackData, prefix="hi:y"):
    """Yes, delete."""

    entry: int
    page: int


# --- /next ------------------------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class CalendarFile(CallbackData, prefix="nx:c"):
    """📅 Add to my calendar: send the presser's own .ics file (no id: it is always theirs)."""


@register
@dataclass(frozen=True, slots=True)
class TimelinePicture(CallbackData, prefix="nx:t"):
    """📈 My timeline: send the presser's own timeline picture."""


# --- /settings ---------------------------------------------------------------------------------

SettingsTopic = Literal["menu", "tz", "h", "d", "q", "l", "c", "x"]
QuietPreset = Literal["22-8", "21-9", "23-7", "off"]


@register
@dataclass(frozen=True, slots=True)
class SettingsOpen(CallbackData, prefix="st"):
    """Open a topic (`menu` the summary, `x` close)."""

    topic: SettingsTopic


@register
@dataclass(frozen=True, slots=True)
class SettingsZone(CallbackData, prefix="st:tz"):
    """A time zone chosen."""

    zone: Zone


@register
@dataclass(frozen=True, slots=True)
class SettingsHour(CallbackData, prefix="st:h"):
    """A reminder hour chosen."""

    hour: Annotated[int, Range(0, 23)]


@register
@dataclass(frozen=True, slots=True)
class SettingsHeadsUp(CallbackData, prefix="st:d"):
    """How many days before the early reminder comes."""

    days: Annotated[int, Range(0, 7)]


@register
@dataclass(frozen=True, slots=True)
class SettingsQuiet(CallbackData, prefix="st:q"):
    """A quiet-hours preset, or off."""

    preset: QuietPreset


@register
@dataclass(frozen=True, slots=True)
class SettingsLanguage(CallbackData, prefix="st:l"):
    """A language chosen."""

    language: Language


@register
@dataclass(frozen=True, slots=True)
class SettingsNews(CallbackData, prefix="st:b"):
    """Clinic news on or off."""

    value: Literal["on", "off"]


@register
@dataclass(frozen=True, slots=True)
class SettingsAftercare(CallbackData, prefix="st:a"):
    """Aftercare notes after a logged treatment, on or off."""

    value: Literal["on", "off"]


@register
@dataclass(frozen=True, slots=True)
class SettingsLeaveAsk(CallbackData, prefix="st:c:l"):
    """Leave this clinic: ask first."""

    clinic: int


@register
@dataclass(frozen=True, slots=True)
class SettingsLeave(CallbackData, prefix="st:c:y"):
    """Yes, leave the clinic."""

    clinic: int


# --- /delete -----------------------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class PrivacyKeep(CallbackData, prefix="pv:k"):
    """Keep my data."""


@register
@dataclass(frozen=True, slots=True)
class DeleteAsk(CallbackData, prefix="pv:a"):
    """Yes to the first question: ask the second."""

    nonce: Code


@register
@dataclass(frozen=True, slots=True)
class DeleteConfirm(CallbackData, prefix="pv:d"):
    """Yes to the second question: delete everything."""

    nonce: Code


# --- reminders ---------------------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class ReminderBooked(CallbackData, prefix="rm:b"):
    """Booked: ask for the date."""

    reminder: OutboxId


@register
@dataclass(frozen=True, slots=True)
class ReminderSnooze(CallbackData, prefix="rm:s"):
    """Remind me in 3 days."""

    reminder: OutboxId


@register
@dataclass(frozen=True, slots=True)
class ReminderNotForMe(CallbackData, prefix="rm:x"):
    """Not for me: stop this chain."""

    reminder: OutboxId


@register
@dataclass(frozen=True, slots=True)
class BookingDay(CallbackData, prefix="rm:d"):
    """A day in the booking calendar."""

    reminder: OutboxId
    on: date

    @property
    def key(self) -> int:
        """The reminder the booking answers."""
        return self.reminder


@register
@dataclass(frozen=True, slots=True)
class BookingMonth(CallbackData, prefix="rm:m"):
    """◀ ▶ in the booking calendar."""

    reminder: OutboxId
    month: Month

    @property
    def key(self) -> int:
        """The reminder the booking answers."""
        return self.reminder


# --- clinics -----------------------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class ClinicSwitch(CallbackData, prefix="cl:sw"):
    """Switch to the clinic of this join link (the code, never a clinic id)."""

    code: Code


@register
@dataclass(frozen=True, slots=True)
class ClinicStay(CallbackData, prefix="cl:stay"):
    """Stay with the current clinic."""


@register
@dataclass(frozen=True, slots=True)
class StatsClinic(CallbackData, prefix="cl:c"):
    """The clinic chosen for /stats (staff of several clinics)."""

    clinic: int


# --- /broadcast --------------------------------------------------------------------------------

AudienceKind = Literal["all", "done", "planned"]


@register
@dataclass(frozen=True, slots=True)
class BroadcastClinic(CallbackData, prefix="bc:c"):
    """The clinic chosen for /broadcast."""

    clinic: int


@register
@dataclass(frozen=True, slots=True)
class BroadcastAudience(CallbackData, prefix="bc:a"):
    """Who receives it."""

    kind: AudienceKind


@register
@dataclass(frozen=True, slots=True)
class BroadcastDays(CallbackData, prefix="bc:d"):
    """The window of days of a "done" or "planned" audience."""

    kind: Literal["done", "planned"]
    days: Literal[7, 30, 90]


@register
@dataclass(frozen=True, slots=True)
class BroadcastSend(CallbackData, prefix="bc:go"):
    """Send the stored draft (only its author, only once)."""

    clinic: int
    broadcast: int


@register
@dataclass(frozen=True, slots=True)
class BroadcastStop(CallbackData, prefix="bc:x"):
    """Cancel a stored draft, or stop a delivery in progress."""

    clinic: int
    broadcast: int


@register
@dataclass(frozen=True, slots=True)
class BroadcastDrop(CallbackData, prefix="bc:x"):
    """Drop a draft that is not stored yet."""


@register
@dataclass(frozen=True, slots=True)
class BroadcastNotice(CallbackData, prefix="bc:n"):
    """Draft a notice of a guidance change."""

    clinic: int
    version: int


# --- /guidance ---------------------------------------------------------------------------------


@register
@dataclass(frozen=True, slots=True)
class GuidanceClinic(CallbackData, prefix="gd:c"):
    """The clinic chosen for /guidance."""

    clinic: int


@register
@dataclass(frozen=True, slots=True)
class GuidanceEdit(CallbackData, prefix="gd:e"):
    """Change this rule, as seen at `version`."""

    clinic: int
    version: int
    after: Procedure
    then: Procedure


@register
@dataclass(frozen=True, slots=True)
class GuidanceApply(CallbackData, prefix="gd:ok"):
    """Apply the change being written."""

    clinic: int
    version: int


@register
@dataclass(frozen=True, slots=True)
class GuidanceDrop(CallbackData, prefix="gd:x"):
    """Drop the change being written."""


@register
@dataclass(frozen=True, slots=True)
class GuidanceDone(CallbackData, prefix="gd:done"):
    """Close the "broadcast a notice?" question."""


# --- /staff ------------------------------------------------------------------------------------

RoleName = Literal["owner", "staff"]


@register
@dataclass(frozen=True, slots=True)
class TeamClinic(CallbackData, prefix="tm:c"):
    """Show this clinic's team (chosen, or back from a member)."""

    clinic: int


@register
@dataclass(frozen=True, slots=True)
class TeamMember(CallbackData, prefix="tm:m"):
    """One member: their role and what an owner may do."""

    clinic: int
    member: UserId


@register
@dataclass(frozen=True, slots=True)
class TeamRole(CallbackData, prefix="tm:r"):
    """Give the member this role."""

    clinic: int
    member: UserId
    role: RoleName


@register
@dataclass(frozen=True, slots=True)
class TeamRemoveAsk(CallbackData, prefix="tm:x"):
    """Ask before removing the member."""

    clinic: int
    member: UserId


@register
@dataclass(frozen=True, slots=True)
class TeamRemove(CallbackData, prefix="tm:y"):
    """Remove the member: confirmed."""

    clinic: int
    member: UserId


@register
@dataclass(frozen=True, slots=True)
class TeamInvite(CallbackData, prefix="tm:i"):
    """A new single-use invite for this role."""

    clinic: int
    role: RoleName


@register
@dataclass(frozen=True, slots=True)
class TeamRevoke(CallbackData, prefix="tm:v"):
    """Withdraw an invite nobody used yet."""

    clinic: int
    invite: int


@register
@dataclass(frozen=True, slots=True)
class TeamRotateAsk(CallbackData, prefix="tm:j"):
    """Ask before replacing the patient join link."""

    clinic: int


@register
@dataclass(frozen=True, slots=True)
class TeamRotate(CallbackData, prefix="tm:k"):
    """Replace the patient join link: confirmed."""

    clinic: int


# --- /guidance → Aftercare -------------------------------------------------------------------

AftercareEditChoice = Literal["replace", "extend"]


@register
@dataclass(frozen=True, slots=True)
class AftercareClinic(CallbackData, prefix="af:c"):
    """The clinic's aftercare notes: choose a procedure."""

    clinic: int


@register
@dataclass(frozen=True, slots=True)
class AftercareProcedure(CallbackData, prefix="af:p"):
    """One procedure's note at the clinic (also Cancel on the summary)."""

    clinic: int
    procedure: Procedure


@register
@dataclass(frozen=True, slots=True)
class AftercareEdit(CallbackData, prefix="af:e"):
    """Write the clinic's own text, replacing or extending the usual note."""

    clinic: int
    procedure: Procedure
    choice: AftercareEditChoice


@register
@dataclass(frozen=True, slots=True)
class AftercareDefault(CallbackData, prefix="af:d"):
    """Go back to the usual note."""

    clinic: int
    procedure: Procedure


@register
@dataclass(frozen=True, slots=True)
class AftercareSave(CallbackData, prefix="af:s"):
    """Save the change being written."""

    clinic: int
    procedure: Procedure


# --- questions to the clinic ------------------------------------------------------------------

ShareHistory = Literal["yes", "no"]


@register
@dataclass(frozen=True, slots=True)
class AskClinic(CallbackData, prefix="qa:a"):
    """💬 Ask my clinic (under /next and reminders): the presser's own clinic, no id needed."""


@register
@dataclass(frozen=True, slots=True)
class QuestionSend(CallbackData, prefix="qa:s"):
    """Send the question written in this chat, with the treatment history or without it."""

    history: ShareHistory


@register
@dataclass(frozen=True, slots=True)
class QuestionCancel(CallbackData, prefix="qa:x"):
    """Do not send the question written in this chat."""


@register
@dataclass(frozen=True, slots=True)
class QuestionReply(CallbackData, prefix="qa:r"):
    """Reply, under a question in a staff chat; the presser must be staff of its clinic."""

    question: int
