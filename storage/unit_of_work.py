"""One use-case, one transaction: commit explicitly, roll back otherwise."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.aftercare import AftercareRepository
from storage.audit import AuditRepository
from storage.broadcasts import BroadcastRepository
from storage.clinics import ClinicRepository
from storage.dashboard import DashboardRepository
from storage.dismissals import DismissalRepository
from storage.guidance import GuidanceRepository
from storage.outbox import OutboxRepository
from storage.pace import PaceRepository
from storage.patients import PatientRepository
from storage.privacy import PrivacyRepository
from storage.questions import QuestionRepository
from storage.recipients import RecipientRepository
from storage.treatments import TreatmentRepository


class UnitOfWork:
    """A transaction and the repositories that share it.

    `async with db.unit_of_work() as uow: ...; await uow.commit()`. Leaving the block
    without `commit()` (or by an exception) rolls back everything since the last commit.
    Repositories never commit on their own.

    Keep it short and never await the network inside it: on SQLite a read-write unit of
    work holds the database's write lock from its first statement until it ends (that is
    what makes read-then-write use-cases safe), so the dispatcher claims and commits,
    sends, then records the outcome in a second unit of work.
    """

    patients: PatientRepository
    treatments: TreatmentRepository
    clinics: ClinicRepository
    guidance: GuidanceRepository
    outbox: OutboxRepository
    broadcasts: BroadcastRepository
    audit: AuditRepository
    privacy: PrivacyRepository
    dismissals: DismissalRepository
    recipients: RecipientRepository
    pace: PaceRepository
    aftercare: AftercareRepository
    questions: QuestionRepository
    dashboard: DashboardRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession], dialect_name: str) -> None:
        self._sessions = sessions
        self._dialect = dialect_name
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work cannot be entered twice")
        session = self._session = self._sessions()
        dialect = self._dialect
        self.patients = PatientRepository(session, dialect)
        self.treatments = TreatmentRepository(session, dialect)
        self.clinics = ClinicRepository(session, dialect)
        self.guidance = GuidanceRepository(session, dialect)
        self.outbox = OutboxRepository(session, dialect)
        self.broadcasts = BroadcastRepository(session, dialect, self.outbox)
        self.audit = AuditRepository(session, dialect)
        self.privacy = PrivacyRepository(session, dialect)
        self.dismissals = DismissalRepository(session, dialect)
        self.recipients = RecipientRepository(session, dialect)
        self.pace = PaceRepository(session, dialect)
        self.aftercare = AftercareRepository(session, dialect)
        self.questions = QuestionRepository(session, dialect)
        self.dashboard = DashboardRepository(session, dialect)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session = self._require()
        try:
            await session.rollback()
        finally:
            await session.close()

    async def commit(self) -> None:
        """Make everything done so far durable; the unit of work stays usable."""
        await self._require().commit()

    async def rollback(self) -> None:
        """Undo everything since the last commit."""
        await self._require().rollback()

    @property
    def session(self) -> AsyncSession:
        """The underlying session, for tests and one-off queries inside `storage`."""
        return self._require()

    def _require(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session
