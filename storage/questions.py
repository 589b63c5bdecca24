"""Patients' questions to their clinic, the copies in staff chats, and the answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from storage._base import Repository, rowcount
from storage.models import QuestionRelayRow, QuestionRow
from storage.records import Question, QuestionRelay


def _question(row: QuestionRow) -> Question:
    return Question(
        id=row.id,
        patient_id=row.patient_id,
        clinic_id=row.clinic_id,
        text=row.text,
        shared_history=row.shared_history,
        asked_at=row.asked_at,
        remind_at=row.remind_at,
        reminded_at=row.reminded_at,
        answered_at=row.answered_at,
        answered_by=row.answered_by,
        answered_by_name=row.answered_by_name,
        answer=row.answer,
    )


def _relay(row: QuestionRelayRow) -> QuestionRelay:
    return QuestionRelay(
        question_id=row.question_id,
        staff_user_id=row.staff_user_id,
        chat_id=row.chat_id,
        message_id=row.message_id,
    )


class QuestionRepository(Repository):
    """Questions by patient and clinic; an answer or a reminder is taken by one UPDATE."""

    async def add(
        self,
        patient_id: int,
        clinic_id: int,
        text: str,
        *,
        shared_history: bool,
        now: datetime,
        remind_at: datetime,
    ) -> Question:
        """Store a new question."""
        row = QuestionRow(
            patient_id=patient_id,
            clinic_id=clinic_id,
            text=text,
            shared_history=shared_history,
            asked_at=now,
            remind_at=remind_at,
        )
        self._session.add(row)
        await self._session.flush()
        return _question(row)

    async def get(self, question_id: int) -> Question | None:
        """The question with this id, or None."""
        row = await self._session.get(QuestionRow, question_id, populate_existing=True)
        return None if row is None else _question(row)

    async def asked_since(self, patient_id: int, since: datetime) -> int:
        """How many questions the patient asked at or after `since`."""
        count = await self._session.scalar(
            select(func.count())
            .select_from(QuestionRow)
            .where(QuestionRow.patient_id == patient_id, QuestionRow.asked_at >= since)
        )
        return int(count or 0)

    async def for_patient(self, patient_id: int, *, limit: int = 20) -> list[Question]:
        """The patient's questions, newest first."""
        rows = await self._session.scalars(
            select(QuestionRow)
            .where(QuestionRow.patient_id == patient_id)
            .order_by(QuestionRow.asked_at.desc(), QuestionRow.id.desc())
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return [_question(row) for row in rows]

    async def add_relay(
        self, question_id: int, *, staff_user_id: int, chat_id: int, message_id: int
    ) -> None:
        """Remember that `message_id` in `chat_id` is a copy of the question."""
        await self._session.execute(
            self._insert(QuestionRelayRow)
            .values(
                question_id=question_id,
                staff_user_id=staff_user_id,
                chat_id=chat_id,
                message_id=message_id,
            )
            .on_conflict_do_nothing(
                index_elements=[QuestionRelayRow.chat_id, QuestionRelayRow.message_id]
            )
        )

    async def relays(self, question_id: int) -> list[QuestionRelay]:
        """Every copy of the question in staff chats."""
        rows = await self._session.scalars(
            select(QuestionRelayRow)
            .where(QuestionRelayRow.question_id == question_id)
            .order_by(QuestionRelayRow.id)
        )
        return [_relay(row) for row in rows]

    async def by_relay(self, chat_id: int, message_id: int) -> Question | None:
        """The question whose copy is this message of this chat, or None."""
        row = await self._session.scalar(
            select(QuestionRow)
            .join(QuestionRelayRow, QuestionRelayRow.question_id == QuestionRow.id)
            .where(QuestionRelayRow.chat_id == chat_id, QuestionRelayRow.message_id == message_id)
            .execution_options(populate_existing=True)
        )
        return None if row is None else _question(row)

    async def answer(
        self, question_id: int, *, staff_user_id: int, name: str, text: str, now: datetime
    ) -> bool:
        """Record the answer; False if the question was answered meanwhile (or is unknown)."""
        result = await self._session.execute(
            update(QuestionRow)
            .where(QuestionRow.id == question_id, QuestionRow.answered_at.is_(None))
            .values(answered_at=now, answered_by=staff_user_id, answered_by_name=name, answer=text)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) > 0

    async def due_reminders(self, now: datetime, *, limit: int = 50) -> list[Question]:
        """Unanswered questions whose reminder time has come and that were not reminded."""
        rows = await self._session.scalars(
            select(QuestionRow)
            .where(
                QuestionRow.answered_at.is_(None),
                QuestionRow.reminded_at.is_(None),
                QuestionRow.remind_at <= now,
            )
            .order_by(QuestionRow.remind_at, QuestionRow.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return [_question(row) for row in rows]

    async def take_reminder(self, question_id: int, now: datetime) -> bool:
        """Mark the reminder sent; False if another process took it, or it was answered."""
        result = await self._session.execute(
            update(QuestionRow)
            .where(
                QuestionRow.id == question_id,
                QuestionRow.reminded_at.is_(None),
                QuestionRow.answered_at.is_(None),
            )
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) > 0
