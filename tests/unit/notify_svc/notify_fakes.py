"""In-memory fakes of notify-svc's ports, for service-layer tests in milliseconds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from notify_svc.domain.values import PENDING, CourtesyCall, Customer, MilestoneReached, Notification
from notify_svc.service_layer.context import NotifyPolicy, ServiceContext
from notify_svc.service_layer.ports import NotificationView, OrderContext, OutgoingMessage, ParkedEvent, SendFailed

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class FakeState:
    def __init__(self) -> None:
        self.customers_by_id: dict[str, Customer] = {}
        self.orders: dict[str, Any] = {}
        self.shipments_by_id: dict[str, Any] = {}
        self.milestones: dict[tuple[str, str], tuple[str, MilestoneReached]] = {}
        self.parked: dict[str, ParkedEvent] = {}

    async def upsert_customer(self, customer: Customer) -> None:
        known = self.customers_by_id.get(customer.customer_id)
        self.customers_by_id[customer.customer_id] = replace(customer, preferences=known.preferences) if known else customer

    async def customer(self, customer_id: str) -> Customer | None:
        return self.customers_by_id.get(customer_id)

    async def customers(self, ids):
        return {i: self.customers_by_id[i] for i in ids if i in self.customers_by_id}

    async def histories(self, order_ids):
        return {o: h for o in set(order_ids) if (h := await self.history(o))}

    async def save_preferences(self, customer_id, preferences):
        known = self.customers_by_id.get(customer_id) or Customer(customer_id)
        self.customers_by_id[customer_id] = replace(known, preferences=preferences)
        return self.customers_by_id[customer_id]

    async def add_order(self, order) -> None:
        self.orders.setdefault(order.order_id, order)

    async def order(self, order_id):
        return self.orders.get(order_id)

    async def order_context(self, order_id):
        order = self.orders.get(order_id)
        if order is None:
            return None
        return OrderContext(order, self.customers_by_id.get(order.customer_id), await self.history(order_id))

    async def add_shipment(self, shipment) -> None:
        self.shipments_by_id.setdefault(shipment.shipment_id, shipment)

    async def shipments(self, ids):
        return [self.shipments_by_id[i] for i in sorted(ids) if i in self.shipments_by_id]

    async def promised_by(self, order_id, shipment_id):
        shipment = self.shipments_by_id.get(shipment_id or "")
        if shipment is not None and shipment.promised_by:
            return shipment.promised_by
        order = self.orders.get(order_id)
        return order.promised_by if order else None

    async def add_milestone(self, event_id, order_id, reached) -> None:
        self.milestones.setdefault((event_id, reached.milestone), (order_id, reached))

    async def history(self, order_id):
        return sorted((r for o, r in self.milestones.values() if o == order_id), key=lambda r: r.time)

    async def park(self, order_id, event) -> None:
        self.parked.setdefault(event.event_id, event)

    async def unpark(self, order_id):
        taken = [e for e in self.parked.values() if e.data.get("order_id") == order_id]
        for event in taken:
            del self.parked[event.event_id]
        return sorted(taken, key=lambda e: (e.time, e.event_id))

    async def unpark_all(self, order_ids):
        taken = {order_id: await self.unpark(order_id) for order_id in set(order_ids)}
        return {order_id: events for order_id, events in taken.items() if events}


class FakeNotifications:
    def __init__(self) -> None:
        self.rows: dict[str, Notification] = {}
        self.merged_into: dict[str, str] = {}

    async def add(self, notification, *, merged_into=None) -> bool:
        key = (notification.order_id, notification.milestone, notification.channel, notification.subject)
        if any((n.order_id, n.milestone, n.channel, n.subject) == key for n in self.rows.values()):
            return False
        self.rows[notification.notification_id] = notification
        if merged_into:
            self.merged_into[notification.notification_id] = merged_into
        return True

    async def open_digest(self, order_id, milestone, channel, near, window_s):
        for n in sorted(self.rows.values(), key=lambda n: n.trigger_time):
            same = (n.order_id, n.milestone, n.channel, n.status, n.attempts, n.deferred) == (order_id, milestone, channel, PENDING, 0, False)
            if same and abs((n.trigger_time - near).total_seconds()) <= window_s:
                return n.notification_id
        return None

    async def join_digest(self, notification_id, shipment_id) -> None:
        n = self.rows[notification_id]
        if shipment_id not in n.shipment_ids:
            self.rows[notification_id] = replace(n, shipment_ids=(*n.shipment_ids, shipment_id))

    async def claim_due(self, now, limit):
        due = [n for n in self.rows.values() if n.status == PENDING and n.due_at is not None and n.due_at <= now]
        return sorted(due, key=lambda n: n.due_at)[:limit]

    async def next_due(self, after):
        dues = [n.due_at for n in self.rows.values() if n.status == PENDING and n.due_at and n.due_at > after]
        return min(dues) if dues else None

    async def update(self, notifications) -> None:
        for notification in notifications:
            self.rows[notification.notification_id] = notification

    async def of_order(self, order_id):
        """As the real store: a parcel merged into a digest shows the digest's status and time."""
        views = []
        for n in self.rows.values():
            if n.order_id != order_id:
                continue
            digest_id = self.merged_into.get(n.notification_id)
            shown = self.rows[digest_id] if digest_id else n
            views.append(NotificationView(n.notification_id, n.milestone, n.channel, shown.status, shown.reason,
                                          n.trigger_time, shown.sent_at, digest_id))
        return views


class FakeCalls:
    def __init__(self) -> None:
        self.calls: dict[str, CourtesyCall] = {}

    async def add(self, call) -> bool:
        if call.call_id in self.calls:
            return False
        self.calls[call.call_id] = call
        return True

    async def get(self, call_id, *, lock=False):
        return self.calls.get(call_id)

    async def complete(self, call) -> None:
        self.calls[call.call_id] = call

    async def assign_unassigned(self, customer_id, account_manager):
        changed = []
        for call in list(self.calls.values()):
            if call.customer_id == customer_id and call.account_manager == "unassigned" and call.status == "open":
                self.calls[call.call_id] = changed_call = replace(call, account_manager=account_manager)
                changed.append(changed_call)
        return changed

    async def page(self, *, status, account_manager, after, limit):
        return sorted(self.calls.values(), key=lambda c: (c.due_by, c.call_id))[:limit]


class FakeUnitOfWork:
    """One shared in-memory store; `events` collects what was committed to the outbox."""

    def __init__(self) -> None:
        self.state = FakeState()
        self.notifications = FakeNotifications()
        self.calls = FakeCalls()
        self.events: list[Any] = []
        self._staged: list[Any] = []
        self.nudges = 0

    async def __aenter__(self):
        self._staged = []
        return self

    async def __aexit__(self, *exc) -> None:
        self._staged = []

    def record(self, events) -> None:
        self._staged.extend(events)

    def wake_after_commit(self, waker) -> None:
        self.nudges += 1

    async def prefetch(self, order_ids) -> None:
        self.prefetched = set(order_ids)

    async def commit(self) -> None:
        self.events.extend(self._staged)
        self._staged = []

    def published(self, type_prefix: str) -> list[dict]:
        return [e.data for e in self.events if e.type.startswith(type_prefix)]


class FakeChannels:
    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.failing: set[str] = set()
        self.broken: set[str] = set()  # channels whose adapter raises something other than SendFailed

    async def send(self, message: OutgoingMessage) -> None:
        if message.channel in self.failing:
            raise SendFailed(f"{message.channel} provider down")
        if message.channel in self.broken:
            raise UnicodeEncodeError("ascii", message.to, 0, 1, "not ASCII")
        self.sent.append(message)


def context(uow: FakeUnitOfWork, clock: Clock, **policy: Any) -> ServiceContext:
    return ServiceContext(
        unit_of_work=lambda: uow,
        channels=FakeChannels(),
        tracking_url=lambda order_id, now: f"https://shop.test/track/{order_id}",
        policy=NotifyPolicy(**policy),
        clock=clock,
    )
