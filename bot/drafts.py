"""What a conversation keeps between its steps: one frozen dataclass per flow.

They live on the user's typed `UserData` (in memory: a restart ends open flows, and every
button carries what it needs to work without them). A step replaces a draft with
`dataclasses.replace`, never edits it in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rules import Procedure

# A rule's new value as typed by staff: days, `off`, or back to the `default`.
RuleValue = int | Literal["off", "default"]


@dataclass(frozen=True, slots=True)
class PendingLink:
    """A deep-link payload (`/start j_...`) waiting while a new patient gives consent."""

    payload: str


@dataclass(frozen=True, slots=True)
class LogDraft:
    """/log: the procedure chosen, and the flow's current screen (to retire its buttons)."""

    procedure: Procedure | None = None
    screen: int | None = None


@dataclass(frozen=True, slots=True)
class HistoryDraft:
    """/history: the entry whose date is being changed, its page, and the current screen.

    `pending` is set while something waits for an answer (a date, a confirmation), so a
    timeout says that nothing was changed.
    """

    page: int = 0
    entry: int | None = None
    screen: int | None = None
    pending: bool = False


@dataclass(frozen=True, slots=True)
class BookingDraft:
    """ "Booked" on a reminder: which reminder, and the procedure whose date is asked."""

    reminder: int
    procedure: Procedure


@dataclass(frozen=True, slots=True)
class CalendarScreen:
    """The message showing a date picker's calendar, for the step that asked."""

    step: str
    message_id: int


DeleteStep = Literal["a", "d"]


@dataclass(frozen=True, slots=True)
class DeleteRequest:
    """/delete in progress: which question was asked last, when, under which nonce."""

    nonce: str
    step: DeleteStep
    asked_at: datetime


@dataclass(frozen=True, slots=True)
class BroadcastDraft:
    """/broadcast: the clinic, the text once written, the window asked, the stored draft."""

    clinic_id: int
    body: str | None = None
    window: Literal["done", "planned"] | None = None
    stored_id: int | None = None


@dataclass(frozen=True, slots=True)
class GuidanceDraft:
    """/guidance: the rule being changed as seen at `version`, then its value and reason."""

    clinic_id: int
    version: int
    after: Procedure
    then: Procedure
    members: int
    old_days: int | None
    default_days: int | None
    value: RuleValue | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AftercareDraft:
    """/guidance → Aftercare: the owner's change to one procedure's note, as it is written."""

    clinic_id: int
    procedure: Procedure
    choice: Literal["replace", "extend", "default"]
    text: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class QuestionDraft:
    """/ask: the question as typed, waiting for "with my history" / "without it"."""

    text: str


@dataclass(frozen=True, slots=True)
class AnswerDraft:
    """Reply under a question in a staff chat: which question the typed answer is for."""

    question_id: int
