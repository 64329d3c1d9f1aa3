"""Until the stack has finished its earlier work: no outbox row unpublished and no consumer behind
(read from each service's `/metrics`).

A run compares its tally with kpi-svc's figures less what kpi-svc reported before the run began.
Work of an earlier run that the stack is still doing (notify-svc's backlog after an interrupted
live run above all) would land inside this run's figures and could not be told apart, so a run
waits for the stack to settle before it reads that baseline, and again before it reads back what
notify-svc sent. Messages notify-svc has queued but not sent are not in these series (a parcel's
message waits out its digest window, an SMS the customer's quiet hours): the reading back waits
for those it can expect soon (`notices.Pending`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

BUSY_SERIES = {
    "orderpulse_outbox_backlog": "outbox rows unpublished",
    "orderpulse_consumer_lag": "records not yet consumed",
}
UNREACHABLE = "unreachable"
QUIET_READINGS = 3  # consecutive readings with nothing to do: a consumer reports lag per batch


@dataclass(frozen=True)
class Busy:
    """What one service still has to do: series name -> summed value."""

    service: str
    work: dict[str, float]

    def describe(self) -> str:
        if UNREACHABLE in self.work:
            return f"{self.service}: /metrics does not answer"
        return f"{self.service}: " + ", ".join(f"{value:g} {BUSY_SERIES[name]}" for name, value in self.work.items())


def busy_of(service: str, exposition: str) -> Busy | None:
    """The work a service's metrics show (None when it has none)."""
    work: dict[str, float] = {}
    for family in text_string_to_metric_families(exposition):
        if family.name in BUSY_SERIES:
            total = sum(sample.value for sample in family.samples)
            if total > 0:
                work[family.name] = total
    return Busy(service, work) if work else None


async def read_busy(clients: dict[str, httpx.AsyncClient]) -> list[Busy]:
    """Every service's outstanding work; a service that does not answer counts as busy."""

    async def one(service: str, client: httpx.AsyncClient) -> Busy | None:
        try:
            response = await client.get("/metrics", timeout=5.0)
            response.raise_for_status()
        except httpx.HTTPError:
            return Busy(service, {UNREACHABLE: 1.0})  # restarting, perhaps: its work is unknown
        return busy_of(service, response.text)

    found = await asyncio.gather(*(one(service, client) for service, client in clients.items()))
    return [busy for busy in found if busy is not None]


async def until_settled(clients: dict[str, httpx.AsyncClient], say: Callable[[str], None], *, what: str,
                        timeout_s: float, interval_s: float = 1.0, stop: asyncio.Event | None = None) -> bool:
    """Wait until QUIET_READINGS readings in a row show nothing to do; says what it waits for
    (every 10 s) and whether it gave up. True when the stack settled; False on timeout or `stop`."""
    deadline, quiet, last_said = time.monotonic() + timeout_s, 0, 0.0
    while stop is None or not stop.is_set():
        busy = await read_busy(clients)
        quiet = quiet + 1 if not busy else 0
        if quiet >= QUIET_READINGS:
            return True
        now = time.monotonic()
        if now >= deadline:
            say(f"{what}: gave up after {timeout_s:.0f} s; still busy: " + "; ".join(b.describe() for b in busy))
            return False
        if busy and now - last_said >= 10.0:
            say(f"{what}: waiting for the stack to finish ({'; '.join(b.describe() for b in busy)}) ...")
            last_said = now
        await asyncio.sleep(interval_s)
    return False
