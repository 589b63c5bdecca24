"""Steps the settings, privacy and help tests add to `helpers`: answers to presses, reminders."""

from __future__ import annotations

from sandbox.records import BotMessage, CallbackAnswer
from sandbox.users import SandboxUser
from storage.database import Database
from storage.records import OutboxKind, OutboxMessage
from tests.conversations.helpers import patient_of
from tests.eventually import eventually


async def pending_reminders(database: Database, user_id: int) -> list[OutboxMessage]:
    """The user's reminders still to be sent, soonest first."""
    patient = await patient_of(database, user_id)
    async with database.unit_of_work() as uow:
        return await uow.outbox.pending_for_patient(patient.id, kind=OutboxKind.REMINDER)


async def answer_to(
    user: SandboxUser,
    query_id: str,
    timeout: float = 5.0,  # noqa: ASYNC109  # a test's deadline to fail with a report
) -> CallbackAnswer:
    """The bot's answerCallbackQuery for one press."""

    def answered() -> CallbackAnswer | None:
        return next((a for a in user.answered_callbacks if a.query_id == query_id), None)

    return await eventually(answered, timeout=timeout, what=f"an answer to press {query_id}")


def all_button_data(message: BotMessage) -> list[str]:
    """Every inline button's callback data on a message, row by row."""
    return [b.data for row in message.buttons for b in row if b.data is not None]
