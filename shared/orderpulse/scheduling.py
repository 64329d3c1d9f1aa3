"""Due work: timers kept in the database (survey delays, SLA clocks, waiting sends, retries).

A service keeps each timer as a row with a due time. `DueWorkLoop` calls the service's
`run_due(now)` whenever work may be due — at the next due time `run_due` reported, as soon as
`nudge()` is called (after a transaction that added a timer commits), or every `max_sleep_s`
at worst (another replica may have added one) — so an effect happens the moment its clock
passes, not at the next hourly poll. Due rows survive restarts: on start the loop runs at
once and publishes whatever became due while the service was down.

Exactly-once across replicas is `run_due`'s job: claim due rows with `SELECT ... FOR UPDATE
SKIP LOCKED` and write the effect, its outbox row and the "done" mark in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from orderpulse.observability import metrics

log = logging.getLogger(__name__)

RunDue = Callable[[datetime], Awaitable[datetime | None]]


def utcnow() -> datetime:
    return datetime.now(UTC)


class DueWorkLoop:
    """Runs `run_due(now) -> next_due | None` whenever work may be due.

    Exceptions are logged, counted (`orderpulse_scheduled_runs_total{outcome="error"}`) and
    retried with exponential backoff and jitter (up to `max_backoff_s`); `healthy` is False
    from the first failure until a run succeeds, so readiness can report it.
    """

    def __init__(
        self,
        name: str,
        run_due: RunDue,
        *,
        service: str = "orderpulse",
        clock: Callable[[], datetime] = utcnow,
        max_sleep_s: float = 30.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.name = name
        self._run_due = run_due
        self._service = service
        self._clock = clock
        self._max_sleep_s = max_sleep_s
        self._max_backoff_s = max_backoff_s
        self._wake = asyncio.Event()
        self._stopping = False
        self.healthy = True
        self.last_error: str | None = None

    def nudge(self) -> None:
        """Work may be due now (e.g. a transaction that added a timer has committed)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            try:
                next_due = await self._run_due(self._clock())
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failures += 1
                self.healthy = False
                self.last_error = repr(error)
                metrics.scheduled_runs_total.labels(self._service, self.name, "error").inc()
                delay_s = min(self._max_backoff_s, 0.2 * 2 ** min(failures, 10)) * (0.5 + random.random() / 2)
                log.warning(
                    "due work failed; retrying",
                    extra={"loop": self.name, "error": repr(error), "retry_in_s": round(delay_s, 2)},
                )
                await self._sleep(delay_s)
                continue
            if failures:
                log.info("due work recovered", extra={"loop": self.name, "after_failures": failures})
            failures, self.healthy, self.last_error = 0, True, None
            metrics.scheduled_runs_total.labels(self._service, self.name, "ok").inc()
            await self._sleep(self._sleep_until(next_due))

    def _sleep_until(self, next_due: datetime | None) -> float:
        if next_due is None:
            return self._max_sleep_s
        return max(0.0, min(self._max_sleep_s, (next_due - self._clock()).total_seconds()))

    async def _sleep(self, seconds: float) -> None:
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)


def nudge_after_commit(session, loop: DueWorkLoop) -> None:
    """Wake `loop` once `session`'s current transaction commits (not before: it could not see the rows)."""
    from sqlalchemy import event

    sync_session = getattr(session, "sync_session", session)
    marker = ("orderpulse.nudge", id(loop))
    if sync_session.info.get(marker):
        return
    sync_session.info[marker] = True

    def after_commit(_session) -> None:
        sync_session.info.pop(marker, None)
        loop.nudge()

    event.listen(sync_session, "after_commit", after_commit, once=True)
