"""The dispatcher: claims due outbox rows, sends them through the one pace, records outcomes.

One batch (`run_once`) is three steps, and only the middle one touches the network:

1. claim up to `batch_size` due rows with a lease, and commit (on SQLite a read-write unit
   of work holds the write lock, so nothing slow may happen inside one);
2. look up the recipients (state, language, clinic), render; just before sending, check
   the reminders again against the history of that moment (`bot.usecases.send_check`: a
   change made seconds before re-words one, or skips one that no longer holds), and send
   concurrently through the `Sender` (which waits for the shared `SendRateLimiter`);
3. record every outcome in one unit of work, then mark patients who blocked the bot.

Delivery is at least once: a crash between 2 and 3 leaves rows claimed; when their lease
runs out any dispatcher claims and sends them again. While one batch is on the wire the
next is claimed and rendered, but it is sent only after the first is recorded: at most one
batch per process is ever sent and unrecorded, so a crash repeats at most `batch_size`
messages.

The process runs one loop (`start`): it drains whatever is due whenever it is woken — by
the scheduler's repeating job, by `wake()` after something due now was added, or by a
timer at the earliest retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import Bot

from bot.clock import Clock
from bot.delivery.downtime import LATE_AFTER, DowntimeReport, apply_downtime_policy, triage
from bot.delivery.rate_limit import SendRateLimiter
from bot.delivery.rendering import NotForRecipientError, Rendered, Renderer, RenderError
from bot.delivery.sender import (
    Delivered,
    DeliveryObserver,
    Failed,
    NoObserver,
    NotSent,
    Outcome,
    RetryLater,
    RetryPolicy,
    Sender,
    outcome_label,
)
from bot.usecases.patients import mark_blocked
from bot.usecases.payloads import Payload, PayloadError, decode_message
from bot.usecases.send_check import NoLongerHolds, recheck
from storage.database import Database
from storage.recipients import Recipient
from storage.records import SKIPPED, OutboxKind, OutboxMessage, PatientState

logger = logging.getLogger(__name__)

_RECORD_TRIES = 3
# Outcomes are written at least this often while a batch is sent, and sooner once this many
# wait: what a crash can send twice is what was sent in that last fraction of a second.
FLUSH_SECONDS = 0.25
FLUSH_SENDS = 32
# The rows whose words rest on the history: checked again just before they are sent.
_CHECKED_KINDS = frozenset({OutboxKind.REMINDER, OutboxKind.NOTICE})
# Timers only for wakes closer than this; the scheduler's repeating job covers the rest.
_LONGEST_TIMER_S = 300.0


@dataclass
class _Batch:
    """Claimed rows: outcomes decided without sending, and the rest rendered, to send."""

    messages: list[OutboxMessage]
    outcomes: dict[int, Outcome]
    recipients: Mapping[int, Recipient] = field(default_factory=dict)
    renders: list[tuple[OutboxMessage, Rendered]] = field(default_factory=list)
    # Renews the lease from the claim until the outcomes are recorded, so a batch claimed
    # ahead stays ours however long the current one takes (a long 429 pause).
    keeper: asyncio.Task[None] | None = None

    async def stop_keeping(self) -> None:
        """Stop renewing the lease."""
        if self.keeper is not None:
            self.keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.keeper


class Dispatcher:
    """Sends due outbox rows for one process (`worker_id`); see the module docstring."""

    def __init__(
        self,
        database: Database,
        bot: Bot,
        clock: Clock,
        limiter: SendRateLimiter,
        *,
        renderers: Mapping[OutboxKind, Renderer],
        worker_id: str,
        batch_size: int = 100,
        lease_seconds: float = 60.0,
        max_in_flight: int = 64,
        retry: RetryPolicy | None = None,
        late_after: timedelta = LATE_AFTER,
        rng: random.Random | None = None,
        observer: DeliveryObserver | None = None,
        paid_broadcast: bool = False,
    ) -> None:
        if batch_size < 1 or max_in_flight < 1:
            raise ValueError("batch_size and max_in_flight must be at least 1")
        self.worker_id = worker_id
        self.bot = bot
        self._database = database
        self._clock = clock
        self._batch_size = batch_size
        self._lease_seconds = lease_seconds
        self._late_after = late_after
        # Handed in by the composition root: delivery knows no texts (bot/render/outbox.py).
        self._renderers = dict(renderers)
        self._stopping = asyncio.Event()
        self._observer = observer or NoObserver()
        self._sender = Sender(
            bot,
            limiter,
            clock,
            retry=retry,
            rng=rng,
            stopping=self._stopping,
            observer=self._observer,
            paid=paid_broadcast,
        )
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._wake = asyncio.Event()
        self._drain_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._timers: set[asyncio.TimerHandle] = set()
        self._last_cycle: float | None = None
        self.sent_total = 0

    # --- life cycle -----------------------------------------------------------------------

    async def start(self) -> DowntimeReport:
        """Apply the downtime policy, then start the loop and drain what is due now."""
        if self._task is not None:
            raise RuntimeError("the dispatcher is already running")
        report = await apply_downtime_policy(
            self._database, self._clock.now(), late_after=self._late_after
        )
        self._task = asyncio.create_task(self._loop(), name=f"dispatcher {self.worker_id}")
        self.wake()
        return report

    def wake(self) -> None:
        """Drain now: something became due (a tick, a new row due at once, a retry)."""
        self._wake.set()

    @property
    def running(self) -> bool:
        """Whether the loop is alive (for health checks)."""
        return self._task is not None and not self._task.done()

    def seconds_since_cycle(self) -> float | None:
        """Seconds since the loop last finished a batch or found nothing due (None: never)."""
        if self._last_cycle is None:
            return None
        return time.monotonic() - self._last_cycle

    async def close(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a shutdown budget
        """Stop: sends not yet started are released, started ones recorded, claims released.

        Waits up to `timeout` seconds for sends already on the wire; whatever is still
        claimed after that is released unsent (it may have gone out: at least once).
        """
        self._stopping.set()
        self._wake.set()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        # A drain started by a caller (not the loop) records its sends before we release.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._drain_lock.acquire()
                self._drain_lock.release()
        async with self._database.unit_of_work() as uow:
            released = await uow.outbox.release(self.worker_id)
            await uow.commit()
        if released:
            logger.info("released %d claimed outbox rows on shutdown", released)

    # --- draining -------------------------------------------------------------------------

    async def run_until_idle(self) -> int:
        """Run batches until none is due; how many rows were handled in all.

        The next batch is claimed and rendered while the current one is on the wire, and
        sent only once the current one is recorded: the database work stays off the
        critical path, and still at most one batch is ever sent and not yet recorded.
        """
        async with self._drain_lock:
            total = 0
            batch = await self._claim()
            while batch is not None:
                following = asyncio.create_task(self._claim())
                try:
                    total += await self._deliver(batch)
                except BaseException:
                    await self._give_back(following)
                    raise
                self._last_cycle = time.monotonic()
                batch = await following
            self._last_cycle = time.monotonic()
            return total

    async def run_once(self) -> int:
        """Claim one batch, send it, record the outcomes; how many rows it claimed."""
        batch = await self._claim()
        return 0 if batch is None else await self._deliver(batch)

    async def _claim(self) -> _Batch | None:
        """Claim due rows and decide or render each; None when nothing is due (or stopping)."""
        if self._stopping.is_set():
            return None
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            messages = await uow.outbox.claim_due(
                now=now,
                worker_id=self.worker_id,
                limit=self._batch_size,
                lease_seconds=self._lease_seconds,
            )
            await uow.commit()
        if not messages:
            return None
        async with self._database.unit_of_work(read_only=True) as uow:
            recipients = await uow.recipients.for_patients({m.patient_id for m in messages})
        batch = _Batch(messages, self._overtaken(messages, recipients, now), recipients)
        batch.keeper = asyncio.create_task(self._keep_leases([m.id for m in messages]))
        for message in messages:
            if message.id in batch.outcomes:
                continue
            prepared = self._prepare(message, recipients.get(message.patient_id), now)
            if isinstance(prepared, Rendered):
                batch.renders.append((message, prepared))
            else:
                batch.outcomes[message.id] = prepared
        return batch

    async def _deliver(self, batch: _Batch) -> int:
        """Send a claimed batch concurrently, recording outcomes as they come; how many rows.

        Outcomes are written every `FLUSH_SECONDS`, or as soon as `FLUSH_SENDS` wait, so a
        crash repeats only the sends of its last fraction of a second, not the batch.
        """
        try:
            await self._check_again(batch)
        except BaseException:
            await batch.stop_keeping()
            raise
        recorder = _Recorder(self, batch.messages)
        recorder.note(batch.outcomes)
        flushing = asyncio.create_task(recorder.keep_flushing(FLUSH_SECONDS))
        try:
            await asyncio.gather(
                *(
                    self._send_noted(message, rendered, recorder)
                    for message, rendered in batch.renders
                )
            )
        finally:
            # Never cancelled mid-flush (that would cut a transaction short): told to stop,
            # it writes what is left and returns.
            recorder.finish()
            try:
                await flushing
            finally:
                await batch.stop_keeping()
        return len(batch.messages)

    async def _check_again(self, batch: _Batch) -> None:
        """Just before sending: reminders whose history changed since they were planned go
        out with the words of now, or are skipped with the reason (`send_check`)."""
        reminders = [m for m, _r in batch.renders if m.kind in _CHECKED_KINDS]
        if not reminders:
            return
        try:
            found = await recheck(self._database, reminders, batch.recipients)
        except Exception:
            # They were right when planned: a check that cannot run must not hold them back.
            logger.exception("re-checking %d reminders before sending failed", len(reminders))
            return
        if not found:
            return
        now = self._clock.now()
        kept: list[tuple[OutboxMessage, Rendered]] = []
        for message, rendered in batch.renders:
            result = found.get(message.id)
            if result is None:
                kept.append((message, rendered))
            elif isinstance(result, NoLongerHolds):
                # Ids only: the reminder's key and words name a procedure and a date.
                logger.info(
                    "outbox %s (patient %s) skipped: %s",
                    message.id,
                    message.patient_id,
                    result.reason,
                )
                batch.outcomes[message.id] = NotSent(result.reason, drop=True)
            else:
                again = self._render(message, result, batch.recipients[message.patient_id], now)
                if isinstance(again, Rendered):
                    kept.append((message, again))
                else:
                    batch.outcomes[message.id] = again
        batch.renders = kept

    async def _send_noted(
        self, message: OutboxMessage, rendered: Rendered, recorder: _Recorder
    ) -> None:
        outcome = await self._send(message, rendered)
        recorder.note({message.id: outcome})

    async def _give_back(self, claiming: asyncio.Task[_Batch | None]) -> None:
        """Release a batch claimed ahead when the current one failed."""
        try:
            batch = await claiming
        except Exception:
            logger.exception("claiming the next batch failed (worker %s)", self.worker_id)
            return
        if batch is not None:
            await batch.stop_keeping()
            async with self._database.unit_of_work() as uow:
                await uow.outbox.release(self.worker_id, message_ids=[m.id for m in batch.messages])
                await uow.commit()

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.run_until_idle()
                await self._wake_at_next_due()
            except Exception:
                # The rows stay claimed until their lease runs out and are sent then; the
                # next tick tries again.
                logger.exception("dispatching failed (worker %s)", self.worker_id)

    async def _wake_at_next_due(self) -> None:
        """Wake when the next pending row comes due, rather than at the tick after it."""
        async with self._database.unit_of_work(read_only=True) as uow:
            next_due = await uow.outbox.next_due_at()
        if next_due is not None and next_due > self._clock.now():
            self._wake_at(next_due)

    # --- one batch ------------------------------------------------------------------------

    def _overtaken(
        self,
        batch: Sequence[OutboxMessage],
        recipients: Mapping[int, Recipient],
        now: datetime,
    ) -> dict[int, Outcome]:
        """The downtime policy's "overtaken" rule within one batch (a stalled process, a
        suspended machine): a heads-up claimed together with its own may-book is dropped."""
        today = {
            pid: now.astimezone(ZoneInfo(r.patient.timezone)).date()
            for pid, r in recipients.items()
        }
        # Lateness is the start-up policy's business; here only what overtakes is dropped.
        decision = triage(batch, now, today=today, late_after=None)
        return {message_id: NotSent(why, drop=True) for message_id, why in decision.drop.items()}

    def _prepare(
        self, message: OutboxMessage, recipient: Recipient | None, now: datetime
    ) -> Outcome | Rendered:
        """The message to send, or the outcome that replaces sending it."""
        if recipient is None:
            return NotSent("patient no longer exists", drop=True)
        state = recipient.patient.state
        # Re-planning cancels rows of paused and blocked patients; this guards the race
        # between that and a claim.
        if state is PatientState.PAUSED:
            return NotSent("patient paused", drop=True)
        if state is PatientState.BLOCKED:
            return Failed("patient blocked the bot", blocked=True)
        try:
            payload = decode_message(message)
        except PayloadError as exc:
            return Failed(f"cannot render: {exc}")
        return self._render(message, payload, recipient, now)

    def _render(
        self, message: OutboxMessage, payload: Payload, recipient: Recipient, now: datetime
    ) -> Outcome | Rendered:
        """The payload as a message, or the failure that replaces it."""
        renderer = self._renderers.get(message.kind)
        if renderer is None:
            return Failed(f"no renderer for {message.kind.value} messages")
        try:
            return renderer(message, payload, recipient, now)
        except NotForRecipientError as exc:
            return Failed(f"{SKIPPED}{exc}")
        except (RenderError, PayloadError) as exc:
            return Failed(f"cannot render: {exc}")
        except Exception as exc:
            # A bug in one renderer must not hold the batch (it would come back every lease).
            logger.exception(
                "outbox %s (patient %s): renderer crashed", message.id, message.patient_id
            )
            return Failed(f"cannot render: {type(exc).__name__}")

    async def _send(self, message: OutboxMessage, rendered: Rendered) -> Outcome:
        async with self._in_flight:
            try:
                return await self._sender.send(message, rendered)
            except Exception as exc:
                # Not one of Telegram's answers (a bug, a closed transport): retry later.
                logger.exception(
                    "outbox %s (patient %s): send crashed", message.id, message.patient_id
                )
                return self._sender.backoff(message, f"internal: {type(exc).__name__}")

    async def _keep_leases(self, message_ids: Sequence[int]) -> None:
        """Extend the batch's lease while it is being sent (a long 429 pause, slow network)."""
        while True:
            await asyncio.sleep(self._lease_seconds / 3)
            lease_until = self._clock.now() + timedelta(seconds=self._lease_seconds)
            async with self._database.unit_of_work() as uow:
                await uow.outbox.extend_lease(
                    message_ids, worker_id=self.worker_id, lease_until=lease_until
                )
                await uow.commit()

    async def _record(
        self, batch: Sequence[OutboxMessage], outcomes: Mapping[int, Outcome]
    ) -> None:
        for attempt in range(1, _RECORD_TRIES + 1):
            try:
                lost = await self._record_once(batch, outcomes)
                break
            except Exception:
                if attempt == _RECORD_TRIES:
                    raise
                logger.exception("recording outcomes failed (try %d); trying again", attempt)
                await asyncio.sleep(0.2 * attempt)
        if lost:
            logger.warning("%d outbox rows were no longer ours when recording", lost)
        retries = [o.due_at for o in outcomes.values() if isinstance(o, RetryLater)]
        if retries:
            self._wake_at(min(retries))
        blocked = {
            m.patient_id
            for m in batch
            if isinstance(outcome := outcomes[m.id], Failed) and outcome.blocked
        }
        for patient_id in sorted(blocked):
            logger.info(
                "patient %s blocked the bot; their pending messages are cancelled", patient_id
            )
            await mark_blocked(self._database, patient_id)

    async def _record_once(
        self, batch: Sequence[OutboxMessage], outcomes: Mapping[int, Outcome]
    ) -> int:
        lost = 0
        delivered: list[tuple[int, int | None, datetime]] = []
        released: list[int] = []
        dropped: dict[str, list[int]] = {}
        broadcasts: set[int] = set()
        worker = self.worker_id
        async with self._database.unit_of_work() as uow:
            outbox = uow.outbox
            for message in batch:
                outcome = outcomes[message.id]
                self._observer.outcome(message.kind.value, outcome_label(outcome))
                if message.broadcast_id is not None:
                    broadcasts.add(message.broadcast_id)
                if isinstance(outcome, Delivered):
                    delivered.append((message.id, outcome.telegram_message_id, outcome.at))
                elif isinstance(outcome, RetryLater):
                    lost += not await outbox.retry_later(
                        message.id, worker_id=worker, due_at=outcome.due_at, error=outcome.error
                    )
                elif isinstance(outcome, Failed):
                    # A member who left or opted out is ordinary business, not a fault.
                    logger.log(
                        logging.INFO if outcome.reason.startswith(SKIPPED) else logging.WARNING,
                        "outbox %s (patient %s) failed: %s",
                        message.id,
                        message.patient_id,
                        outcome.reason,
                    )
                    lost += not await outbox.mark_failed(
                        message.id,
                        worker_id=worker,
                        reason=outcome.reason,
                        blocked=outcome.blocked,
                    )
                elif outcome.drop:
                    dropped.setdefault(outcome.reason, []).append(message.id)
                else:
                    released.append(message.id)
            # Sends are most of a batch: one statement records them all.
            recorded = await outbox.mark_sent_many(delivered, worker_id=worker)
            lost += len(delivered) - len(recorded)
            self.sent_total += len(recorded)
            for reason, ids in dropped.items():
                await outbox.drop(ids, reason=reason)
            if released:
                await outbox.release(worker, message_ids=released)
            now = self._clock.now()
            for broadcast_id in sorted(broadcasts):
                await uow.broadcasts.finish_if_done(broadcast_id, now=now)
            await uow.commit()
        return lost

    def _wake_at(self, due_at: datetime) -> None:
        delay = max(0.0, (due_at - self._clock.now()).total_seconds())
        if delay > _LONGEST_TIMER_S:
            return  # the repeating tick comes sooner; no timer piles up for days ahead
        if self._timers and min(t.when() for t in self._timers) <= self._loop_time() + delay:
            return  # an earlier wake is already set
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(handle)
            self.wake()

        handle = loop.call_later(delay, fire)
        self._timers.add(handle)

    @staticmethod
    def _loop_time() -> float:
        return asyncio.get_running_loop().time()


class _Recorder:
    """Collects a batch's outcomes as its sends complete and writes them in small flushes.

    Flushes never overlap (one unit of work at a time); each writes every outcome noted
    since the last one, its sends in one statement.
    """

    def __init__(self, dispatcher: Dispatcher, messages: Sequence[OutboxMessage]) -> None:
        self._dispatcher = dispatcher
        self._messages = {message.id: message for message in messages}
        self._pending: dict[int, Outcome] = {}
        self._lock = asyncio.Lock()
        self._enough = asyncio.Event()
        self._finished = False

    def note(self, outcomes: Mapping[int, Outcome]) -> None:
        """Add outcomes to the next flush (which comes sooner once enough wait)."""
        self._pending.update(outcomes)
        if len(self._pending) >= FLUSH_SENDS:
            self._enough.set()

    def finish(self) -> None:
        """Every send is done: write what is left, then stop."""
        self._finished = True
        self._enough.set()

    async def keep_flushing(self, every: float) -> None:
        """Flush every `every` seconds, or when enough outcomes wait, until finished."""
        while not self._finished:
            # asyncio.timeout, not wait_for: a cancel that lands as the timeout fires must
            # not be lost (wait_for can swallow it on Python 3.11).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every):
                    await self._enough.wait()
            await self.flush()
        await self.flush()

    async def flush(self) -> None:
        """Write what was noted so far."""
        async with self._lock:
            self._enough.clear()
            if not self._pending:
                return
            pending, self._pending = self._pending, {}
            messages = [self._messages[message_id] for message_id in pending]
            try:
                await self._dispatcher._record(messages, pending)
            except BaseException:
                # Not written: they stay claimed and go out again after the lease.
                pending.update(self._pending)
                self._pending = pending
                raise
