"""Questions to the clinic: a patient asks, the clinic's staff answer, one reminder if nobody does.

A question goes only to the staff of the clinic the patient is a member of *when they ask*,
with their member number (the membership id) and, only if they agreed, their treatment
history. Limits: `MAX_QUESTION` characters and `DAILY_QUESTIONS` a day (the patient's local
day); a refused question stores nothing.

An answer is taken once, by one UPDATE (`QuestionRepository.answer`), by someone who is
staff of the question's clinic at that moment, for a patient still its member; it reaches
the patient through the outbox (`answer:<question id>`), so a crash after the commit still
delivers it. The copies in staff chats are sent straight away by the caller (staff have no
outbox rows): if that fails or the process stops before, the reminder brings the question
to the staff later, since it stays unanswered.

The reminder comes due `question_reminder_hours` after the question, counted in the clinic's
opening hours when it has them. `take_due_reminders` marks each one taken in the same
transaction that reads it, so two processes never both remind: at most once, by design
(a reminder lost to a crash right after the commit is the lesser harm than a repeated one).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.usecases.payloads import QuestionAnswer, encode
from bot.usecases.planning import local_today
from rules.opening_hours import OpeningHoursError, after_open_time, parse_opening_hours
from storage.database import Database
from storage.records import (
    ActorKind,
    Clinic,
    NewMessage,
    OutboxKind,
    Patient,
    Question,
    QuestionRelay,
    StaffMember,
    Treatment,
)
from storage.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

MAX_QUESTION = 1000
MAX_ANSWER = 2000
DAILY_QUESTIONS = 5
# The most recent entries shown to staff with a question (when the patient agreed).
HISTORY_SHOWN = 20

AskKind = Literal["not_member", "too_long", "empty", "too_many", "asked"]


@dataclass(frozen=True)
class Relayed:
    """A question as the staff of its clinic see it, and whom it goes to."""

    question: Question
    clinic: Clinic
    member_number: int
    staff: tuple[StaffMember, ...]
    # The patient's treatments, newest first; empty unless they agreed to share them.
    history: tuple[Treatment, ...]
    today: date


@dataclass(frozen=True)
class Asking:
    """Whether the patient may ask now, and of which clinic."""

    kind: AskKind
    clinic: Clinic | None = None


@dataclass(frozen=True)
class Asked:
    """What asking did; `relayed` is set when the question was stored."""

    kind: AskKind
    clinic: Clinic | None = None
    relayed: Relayed | None = None


def clean(text: str) -> str:
    """The text as it is stored: without surrounding blanks."""
    return text.strip()


def _text_kind(text: str, limit: int) -> Literal["too_long", "empty"] | None:
    if not text:
        return "empty"
    if len(text) > limit:
        return "too_long"
    return None


def _day_start(patient: Patient, now: datetime) -> datetime:
    """The start of the patient's local day at `now`, as an instant."""
    zone = ZoneInfo(patient.timezone)
    return datetime.combine(local_today(patient, now), time(0), zone)


async def _clinic_of(uow: UnitOfWork, patient_id: int) -> tuple[Clinic, int] | None:
    membership = await uow.clinics.active_membership(patient_id)
    if membership is None:
        return None
    clinic = await uow.clinics.get(membership.clinic_id)
    return None if clinic is None else (clinic, membership.id)


async def may_ask(database: Database, patient: Patient, now: datetime) -> Asking:
    """Before the question is typed: a member, with questions left today?"""
    async with database.unit_of_work(read_only=True) as uow:
        found = await _clinic_of(uow, patient.id)
        if found is None:
            return Asking("not_member")
        asked = await uow.questions.asked_since(patient.id, _day_start(patient, now))
    clinic = found[0]
    return Asking("too_many" if asked >= DAILY_QUESTIONS else "asked", clinic)


def check_text(text: str) -> Literal["too_long", "empty"] | None:
    """Why a typed question cannot be sent, or None."""
    return _text_kind(clean(text), MAX_QUESTION)


def reminder_due(clinic: Clinic, asked_at: datetime) -> datetime:
    """When an unanswered question reminds the staff: the clinic's hours, of opening time."""
    hours = clinic.question_reminder_hours
    opening = None
    if clinic.opening_hours:
        try:
            opening = parse_opening_hours(clinic.opening_hours)
        except OpeningHoursError:
            logger.warning("clinic %s: unreadable opening hours, counting plain hours", clinic.id)
    try:
        return after_open_time(asked_at, hours, opening, ZoneInfo(clinic.timezone))
    except OpeningHoursError:
        return asked_at + timedelta(hours=hours)


async def _relayed(
    uow: UnitOfWork, question: Question, clinic: Clinic, member_number: int, patient: Patient
) -> Relayed:
    history: list[Treatment] = []
    if question.shared_history:
        history = await uow.treatments.list_for_patient(patient.id, limit=HISTORY_SHOWN)
    staff = await uow.clinics.list_staff(clinic.id)
    return Relayed(
        question=question,
        clinic=clinic,
        member_number=member_number,
        staff=tuple(staff),
        history=tuple(history),
        today=local_today(patient, question.asked_at),
    )


async def ask(
    database: Database, patient: Patient, text: str, *, share_history: bool, now: datetime
) -> Asked:
    """Store the question for the patient's clinic; who should receive it, or why not."""
    text = clean(text)
    refused = _text_kind(text, MAX_QUESTION)
    async with database.unit_of_work() as uow:
        found = await _clinic_of(uow, patient.id)
        if found is None:
            return Asked("not_member")
        clinic, member_number = found
        if refused is not None:
            return Asked(refused, clinic)
        if await uow.questions.asked_since(patient.id, _day_start(patient, now)) >= DAILY_QUESTIONS:
            return Asked("too_many", clinic)
        question = await uow.questions.add(
            patient.id,
            clinic.id,
            text,
            shared_history=share_history,
            now=now,
            remind_at=reminder_due(clinic, now),
        )
        await uow.audit.record(
            "question.asked",
            at=now,
            actor_kind=ActorKind.PATIENT,
            actor_id=patient.telegram_user_id,
            clinic_id=clinic.id,
            subject_patient_id=patient.id,
            details={"question": question.id, "shared_history": share_history},
        )
        relayed = await _relayed(uow, question, clinic, member_number, patient)
        await uow.commit()
    return Asked("asked", clinic, relayed)


async def record_relays(
    database: Database, question_id: int, copies: Sequence[tuple[int, int, int]]
) -> None:
    """Remember the copies sent to staff: (staff user id, chat id, message id) each."""
    if not copies:
        return
    async with database.unit_of_work() as uow:
        for staff_user_id, chat_id, message_id in copies:
            await uow.questions.add_relay(
                question_id, staff_user_id=staff_user_id, chat_id=chat_id, message_id=message_id
            )
        await uow.commit()


# --- answers ---------------------------------------------------------------------------------

AnswerKind = Literal[
    "answered", "already", "not_staff", "not_member", "unknown", "too_long", "empty"
]


@dataclass(frozen=True)
class Answered:
    """What answering did. `copies` are the question's messages in staff chats, to update."""

    kind: AnswerKind
    question: Question | None = None
    clinic: Clinic | None = None
    member_number: int | None = None
    copies: tuple[QuestionRelay, ...] = ()
    staff: tuple[StaffMember, ...] = ()


async def relayed_question(database: Database, chat_id: int, message_id: int) -> int | None:
    """The id of the question whose copy is this message, or None (not one of ours)."""
    async with database.unit_of_work(read_only=True) as uow:
        question = await uow.questions.by_relay(chat_id, message_id)
    return None if question is None else question.id


async def question_for_staff(database: Database, staff_user_id: int, question_id: int) -> Answered:
    """The question a staff member is about to answer, or why they cannot ("Reply")."""
    async with database.unit_of_work(read_only=True) as uow:
        return await _check(uow, staff_user_id, question_id)


async def _check(uow: UnitOfWork, staff_user_id: int, question_id: int) -> Answered:
    question = await uow.questions.get(question_id)
    if question is None:
        return Answered("unknown")
    member = await uow.clinics.staff_member(question.clinic_id, staff_user_id)
    clinic = await uow.clinics.get(question.clinic_id)
    if member is None or clinic is None:
        return Answered("not_staff")
    membership = await uow.clinics.active_membership(question.patient_id)
    if membership is None or membership.clinic_id != clinic.id:
        return Answered("not_member", question, clinic)
    if question.answered_at is not None:
        return Answered("already", question, clinic, membership.id)
    return Answered("answered", question, clinic, membership.id)


async def answer(
    database: Database,
    staff_user_id: int,
    question_id: int,
    text: str,
    now: datetime,
    *,
    name: str,
) -> Answered:
    """Answer as the clinic; the patient gets it through the outbox. Checked in one transaction.

    `name` is the answerer as the other staff will see it (their staff display name wins).
    """
    text = clean(text)
    async with database.unit_of_work() as uow:
        checked = await _check(uow, staff_user_id, question_id)
        if checked.kind != "answered" or checked.question is None or checked.clinic is None:
            return checked
        refused = _text_kind(text, MAX_ANSWER)
        if refused is not None:
            return Answered(refused, checked.question, checked.clinic)
        question, clinic = checked.question, checked.clinic
        member = await uow.clinics.staff_member(clinic.id, staff_user_id)
        shown = (member.display_name if member and member.display_name else name)[:200]
        if not await uow.questions.answer(
            question.id, staff_user_id=staff_user_id, name=shown, text=text, now=now
        ):
            # Someone else answered between the check and the update.
            return Answered("already", await uow.questions.get(question.id), clinic)
        patient = await uow.patients.get_by_id(question.patient_id)
        if patient is None:  # pragma: no cover - the membership above holds the patient
            return Answered("not_member", question, clinic)
        await uow.outbox.add(
            NewMessage(
                kind=OutboxKind.NOTICE,
                patient_id=patient.id,
                chat_id=patient.chat_id,
                due_at=now,
                dedupe_key=f"answer:{question.id}",
                payload=encode(
                    QuestionAnswer(question.id, clinic.id, clinic.name, question.text, text)
                ),
            ),
            now=now,
        )
        await uow.audit.record(
            "question.answered",
            at=now,
            actor_kind=ActorKind.STAFF,
            actor_id=staff_user_id,
            clinic_id=clinic.id,
            subject_patient_id=patient.id,
            details={"question": question.id},
        )
        answered = await uow.questions.get(question.id)
        copies = await uow.questions.relays(question.id)
        staff = await uow.clinics.list_staff(clinic.id)
        await uow.commit()
    return Answered(
        "answered", answered, clinic, checked.member_number, tuple(copies), tuple(staff)
    )


# --- the reminder ----------------------------------------------------------------------------


async def take_due_reminders(
    database: Database, now: datetime, *, limit: int = 50
) -> list[Relayed]:
    """The unanswered questions whose reminder came due, each taken (by this caller only).

    A question whose patient left the clinic (or was deleted) is taken and not returned: it
    no longer belongs to that clinic's work.
    """
    due: list[Relayed] = []
    async with database.unit_of_work() as uow:
        for question in await uow.questions.due_reminders(now, limit=limit):
            if not await uow.questions.take_reminder(question.id, now):
                continue
            membership = await uow.clinics.active_membership(question.patient_id)
            patient = await uow.patients.get_by_id(question.patient_id)
            clinic = await uow.clinics.get(question.clinic_id)
            if (
                membership is None
                or membership.clinic_id != question.clinic_id
                or patient is None
                or clinic is None
            ):
                continue
            due.append(await _relayed(uow, question, clinic, membership.id, patient))
        await uow.commit()
    return due
