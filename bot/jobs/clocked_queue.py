"""PTB's JobQueue, whose one-off jobs can also come due by the injected clock.

APScheduler runs jobs on the wall clock, but tests and `interval-bot demo` move time with a
`FakeClock`. Conversation timeouts are one-off jobs (`run_once`), so this queue notes when
each one comes due on the injected clock, and `run_due()` runs those whose time has come
there: a test expires a conversation by moving the clock, not by waiting half an hour.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta

from apscheduler.jobstores.base import JobLookupError
from telegram._utils.types import JSONDict  # PTB's own parameter types, for the override
from telegram.ext import Job, JobQueue
from telegram.ext._utils.types import JobCallback

from bot.clock import Clock
from bot.context import AppContext

# Past this many tracked jobs, finished and removed ones are forgotten before adding more.
_PRUNE_AT = 1000


class ClockedJobQueue(JobQueue[AppContext]):
    """A JobQueue whose one-off jobs also come due by `clock` (see the module docstring)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock
        self._due: list[tuple[datetime, Job[AppContext]]] = []

    def run_once(
        self,
        callback: JobCallback[AppContext],
        when: float | timedelta | datetime | time,
        data: object | None = None,
        name: str | None = None,
        chat_id: int | None = None,
        user_id: int | None = None,
        job_kwargs: JSONDict | None = None,
    ) -> Job[AppContext]:
        """Schedule as PTB does, and note when the job comes due on the injected clock."""
        job = super().run_once(callback, when, data, name, chat_id, user_id, job_kwargs)
        due = self._due_at(when)
        if due is not None:
            if len(self._due) >= _PRUNE_AT:
                self._due = [(at, kept) for at, kept in self._due if not kept.removed]
            self._due.append((due, job))
        return job

    async def run_due(self) -> int:
        """Run the one-off jobs due by the injected clock now; how many ran."""
        now = self._clock.now()
        ready = sorted(
            ((at, job) for at, job in self._due if at <= now and not job.removed),
            key=lambda item: item[0],
        )
        self._due = [(at, job) for at, job in self._due if at > now and not job.removed]
        for _at, job in ready:
            with contextlib.suppress(JobLookupError):
                # APScheduler must not run it again at its wall-clock time.
                job.schedule_removal()
            await job.run(self.application)
        return len(ready)

    def _due_at(self, when: object) -> datetime | None:
        if isinstance(when, int | float):
            return self._clock.now() + timedelta(seconds=float(when))
        if isinstance(when, timedelta):
            return self._clock.now() + when
        if isinstance(when, datetime):
            return when
        return None
