"""What the handlers need from storage and from the providers, as protocols (`adapters/` implements them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from notify_svc.domain.events import OutgoingEvent
from notify_svc.domain.preferences import Preferences
from notify_svc.domain.values import (
    CourtesyCall,
    Customer,
    MilestoneReached,
    Notification,
    OrderFacts,
    ShipmentFacts,
)


@dataclass(frozen=True)
class ParkedEvent:
    """An event about an order notify-svc has not met yet (its `order.placed` is still on the way)."""

    event_id: str
    short_type: str
    time: datetime
    data: dict[str, Any]


@dataclass
class OrderContext:
    order: OrderFacts
    customer: Customer | None
    history: list[MilestoneReached]


class KnownState(Protocol):
    """What notify-svc learned from events: customers, orders, parcels and the milestones reached."""

    async def upsert_customer(self, customer: Customer) -> None:
        """Store the profile; preferences set through the API are kept."""

    async def customer(self, customer_id: str) -> Customer | None: ...

    async def customers(self, customer_ids: Iterable[str]) -> dict[str, Customer]:
        """The known ones among these, by id (one query for a sender batch)."""

    async def save_preferences(self, customer_id: str, preferences: Preferences) -> Customer:
        """Store preferences (creating a profile-less row for a customer not met yet); returns the customer."""

    async def add_order(self, order: OrderFacts) -> None: ...

    async def order(self, order_id: str) -> OrderFacts | None: ...

    async def order_context(self, order_id: str) -> OrderContext | None:
        """The order, its customer (None before `customer.upserted`) and its milestones, in one read."""

    async def add_shipment(self, shipment: ShipmentFacts) -> None: ...

    async def shipments(self, shipment_ids: Iterable[str]) -> list[ShipmentFacts]: ...

    async def promised_by(self, order_id: str, shipment_id: str | None) -> datetime | None: ...

    async def add_milestone(self, event_id: str, order_id: str, reached: MilestoneReached) -> None: ...

    async def histories(self, order_ids: Iterable[str]) -> dict[str, list[MilestoneReached]]:
        """Each order's milestones in event-time order (orders without any are left out)."""

    async def park(self, order_id: str, event: ParkedEvent) -> None: ...

    async def unpark(self, order_id: str) -> list[ParkedEvent]:
        """Take (and delete) the events parked for this order, oldest event time first."""

    async def unpark_all(self, order_ids: Iterable[str]) -> dict[str, list[ParkedEvent]]:
        """`unpark` for many orders in one go; orders with nothing parked are left out."""


@dataclass(frozen=True)
class NotificationView:
    """One line of `GET /v1/orders/{id}/notifications`."""

    notification_id: str | None
    milestone: str
    channel: str
    status: str
    reason: str | None
    trigger_time: datetime
    sent_at: datetime | None
    merged_into: str | None = None  # a parcel's row told in another message (a digest): that message's id


class NotificationStore(Protocol):
    async def add(self, notification: Notification, *, merged_into: str | None = None) -> bool:
        """Insert unless the (order, milestone, channel, subject) key exists; True when inserted."""

    async def open_digest(self, order_id: str, milestone: str, channel: str, near: datetime, window_s: float) -> str | None:
        """A pending, never-attempted parcel message of this order and milestone whose trigger is
        within `window_s` of `near`, locked; later parcels join it."""

    async def join_digest(self, notification_id: str, shipment_id: str) -> None: ...

    async def claim_due(self, now: datetime, limit: int) -> list[Notification]:
        """Due pending messages, oldest due first, locked (`FOR UPDATE SKIP LOCKED`) for this transaction."""

    async def next_due(self, after: datetime) -> datetime | None:
        """The earliest due time later than `after` of a pending message. What was due by then was
        claimed by this run, or is held by another sender that will finish it: a sender that counted
        those would run again at once and claim nothing, over and over, until that sender commits."""

    async def update(self, notifications: Sequence[Notification]) -> None:
        """Store status, due time, attempts, deferral, reason, error and sent time (one statement)."""

    async def of_order(self, order_id: str) -> list[NotificationView]: ...


class CallStore(Protocol):
    async def add(self, call: CourtesyCall) -> bool: ...

    async def get(self, call_id: str, *, lock: bool = False) -> CourtesyCall | None: ...

    async def complete(self, call: CourtesyCall) -> None: ...

    async def assign_unassigned(self, customer_id: str, account_manager: str) -> list[CourtesyCall]:
        """Give the open calls of a customer that had no manager yet to `account_manager`; returns them."""

    async def page(
        self, *, status: str | None, account_manager: str | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[CourtesyCall]:
        """Earliest due first, then id; `after` is the (due_by, call_id) the last page ended at."""


class Waker(Protocol):
    def nudge(self) -> None: ...


class NotifyUnitOfWork(Protocol):
    state: KnownState
    notifications: NotificationStore
    calls: CallStore

    async def __aenter__(self) -> NotifyUnitOfWork: ...

    async def __aexit__(self, *exc: Any) -> None: ...

    def record(self, events: Iterable[OutgoingEvent]) -> None:
        """Stage events for the outbox (validated against the catalog)."""

    async def prefetch(self, order_ids: Iterable[str]) -> None:
        """Read ahead, in one go, what handling events of these orders needs (a consumer batch's
        unit of work does; doing nothing is a correct implementation)."""

    def wake_after_commit(self, waker: Waker) -> None:
        """Nudge `waker` (the sender loop) once the transaction has committed, not before."""

    async def commit(self) -> None: ...


@dataclass(frozen=True)
class OutgoingMessage:
    """Everything a channel needs to tell one customer about one milestone."""

    notification_id: str
    channel: str
    milestone: str
    order_id: str
    customer_id: str
    to: str
    name: str
    locale: str
    tracking_url: str
    shipments: Sequence[ShipmentFacts] = ()
    details: dict[str, Any] = field(default_factory=dict)


class SendFailed(Exception):
    """Every provider of the channel refused or could not be reached; `error` says what happened."""


class Channels(Protocol):
    async def send(self, message: OutgoingMessage) -> None:
        """Deliver to the channel's provider (failing over to the second one where configured);
        raises `SendFailed`. Providers deduplicate on `notification_id`."""
