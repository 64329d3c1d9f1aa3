"""What every handler is given: how to open a unit of work, the merchant's settings as values, a
clock, the channels and the sender's wake-up call. `bootstrap.py` builds one; tests pass fakes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from orderpulse.business_days import BusinessCalendar
from orderpulse.business_hours import WorkingHours

from notify_svc.domain.retry import RetryPolicy
from notify_svc.domain.rules import STALE_AFTER
from notify_svc.service_layer.ports import Channels, NotifyUnitOfWork, Waker


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NotifyPolicy:
    """The merchant's knobs (see `NotifySettings`)."""

    digest_window: timedelta = timedelta(minutes=2)
    stale_after: timedelta = STALE_AFTER
    call_within: timedelta = timedelta(hours=4)
    working_hours: WorkingHours = field(default_factory=lambda: WorkingHours(BusinessCalendar()))
    retries: Mapping[str, RetryPolicy] = field(default_factory=dict)
    unit_costs: Mapping[str, Decimal] = field(default_factory=dict)
    sender_batch_size: int = 100
    sender_concurrency: int = 16

    def retry_policy(self, channel: str) -> RetryPolicy:
        return self.retries.get(channel, RetryPolicy())


@dataclass
class ServiceContext:
    unit_of_work: Callable[[], NotifyUnitOfWork]
    channels: Channels
    tracking_url: Callable[[str, datetime], str]
    policy: NotifyPolicy = field(default_factory=NotifyPolicy)
    clock: Callable[[], datetime] = utcnow
    sender: Waker = field(default_factory=lambda: _Idle())
    sends_in_flight: asyncio.Semaphore | None = None  # shared by every sender loop; made at the first send

    def send_slots(self) -> asyncio.Semaphore:
        if self.sends_in_flight is None:
            self.sends_in_flight = asyncio.Semaphore(self.policy.sender_concurrency)
        return self.sends_in_flight


class _Idle:
    def nudge(self) -> None:
        pass
