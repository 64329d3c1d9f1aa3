"""What `consumer_dedup_bench.py --handler fulfillment|order|feedback` feeds a service's REAL
consumer handler table: the events that service consumes in a storefront's traffic, the state it
needs before them (stock, placed orders), and the rows that must exist once they are applied.

The shapes follow the simulator's story of an order (`orderpulse.simulator`), with its error mix
rates (`simulator/config.py`: 2 % cancelled before dispatch, 3 % backordered, 5 % returns, 35 %
of delivered orders answer the survey). Only the types the service handles are fed (types on its
topics that it ignores would make the figure look better than the handlers are). Every event is
checked against the shared catalog (`validate_data`) when built, so the handlers do real work.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from orderpulse.db.migrations import upgrade_async
from orderpulse.events import Envelope, new_envelope, validate_data

NOW = datetime.now(UTC).replace(microsecond=0)
SKUS = [f"SKU-{n:02d}" for n in range(20)]
SCARCE = "SKU-SCARCE"  # no stock anywhere: its orders are backordered
ADDRESS = {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"}


@dataclass
class Workload:
    """`events` in the order the broker holds them (per key); `prepare(database_url, schema)`
    migrates the schema, adds the state the events need and returns the handler table;
    `expected` maps a SQL count (run with the schema on the search path) to its value at the end."""

    events: list[Envelope]
    prepare: Callable[[str, str], Awaitable[dict]]
    expected: dict[str, int] = field(default_factory=dict)


def event(short_type: str, key: str, at: datetime, source: str, **data: Any) -> Envelope:
    validate_data(short_type, data)
    return new_envelope(type=short_type, source=source, key=key, data=data, time=at)


def interleave(*streams: list[tuple[int, Envelope]]) -> list[Envelope]:
    """Events of several streams, each tagged with the step (order number) at which it happens."""
    return [envelope for _, envelope in sorted(itertools.chain(*streams), key=lambda tagged: tagged[0])]


def order_lines(n: int) -> list[dict[str, Any]]:
    """1-3 lines of distinct skus; 3 % of orders also want the scarce sku."""
    skus = [SKUS[(n * 7 + k * 3) % len(SKUS)] for k in range(1 + n % 3)]
    if n % 33 == 5:
        skus.append(SCARCE)
    return [{"line_id": f"l{k}", "sku": sku, "quantity": 1 + (n + k) % 2, "unit_price": "12.50"}
            for k, sku in enumerate(skus, start=1)]


# ---------------------------------------------------------------- fulfillment-svc


def fulfillment(count: int) -> Workload:
    """order.confirmed per order (stock in two warehouses); 2 % cancelled ~50 orders later (before
    dispatch: the stock goes back); 5 % ask for a return ~200 orders later."""
    confirmed, cancelled, returns = [], [], []
    n = 0
    while len(confirmed) + len(cancelled) + len(returns) < count:
        order_id = f"ord_{n:07d}"
        at = NOW - timedelta(hours=2) + timedelta(milliseconds=100 * n)
        lines = order_lines(n)
        confirmed.append((n, event("order.confirmed.v1", order_id, at, "/order-svc", order_id=order_id, lines=lines,
                                   ship_to=ADDRESS, service_level="standard", placed_at=at.isoformat(),
                                   promised_by=(at + timedelta(days=5)).isoformat())))
        if n % 50 == 7:
            cancelled.append((n + 50, event("order.cancelled.v1", order_id, at + timedelta(minutes=5), "/order-svc",
                                            order_id=order_id, reason="customer changed their mind",
                                            cancelled_by="storefront")))
        elif n % 20 == 3:
            returns.append((n + 200, event("return.requested.v1", order_id, at + timedelta(days=3), "/order-svc",
                                           order_id=order_id, return_id=f"ret_{n:07d}", reason="changed_mind",
                                           kind="refund", lines=[{"sku": lines[0]["sku"], "quantity": 1}])))
        n += 1
    events = interleave(confirmed, cancelled, returns)[:count]
    kept = {e.data["order_id"] for e in events}
    orders = sum(e.type.endswith("order.confirmed.v1") for e in events)
    cancels = sum(e.type.endswith("order.cancelled.v1") for e in events)
    backordered = sum(SCARCE in {line["sku"] for line in e.data["lines"]} for e in events
                      if e.type.endswith("order.confirmed.v1"))
    assert all(e.data["order_id"] in kept for e in events)

    async def prepare(database_url: str, schema: str) -> dict:
        import asyncpg
        from fulfillment_svc.adapters.unit_of_work import SqlUnitOfWork
        from fulfillment_svc.entrypoints.consumer import YOUNG_COLLECTION_THRESHOLD, handler_table
        from fulfillment_svc.manifest import MANIFEST
        from fulfillment_svc.service_layer.context import Policy, ServiceContext
        from orderpulse.heap import collect_young_objects_less_often
        from orderpulse.testing.database import plain_dsn

        collect_young_objects_less_often(YOUNG_COLLECTION_THRESHOLD)  # as fulfillment_svc/main.py sets the process up
        await upgrade_async(MANIFEST.migrations, database_url, schema)
        connection = await asyncpg.connect(plain_dsn(database_url))
        try:
            stock = [("wh-1", sku, 1_000_000) for sku in SKUS] + [("wh-2", sku, 500_000) for sku in SKUS[::2]]
            await connection.executemany(
                f'INSERT INTO "{schema}".stock (warehouse_id, sku, on_hand, reserved, updated_at) VALUES ($1, $2, $3, 0, now())',
                stock)
        finally:
            await connection.close()
        ctx = ServiceContext(unit_of_work=None, policy=Policy(default_warehouse_id="wh-1"))
        return handler_table(ctx, lambda session: SqlUnitOfWork.joining(session, schema=schema))

    return Workload(events, prepare, {
        "SELECT count(*) FROM fulfillments": orders,
        "SELECT count(*) FROM fulfillments WHERE status = 'cancelled'": cancels,
        "SELECT count(*) FROM requested_returns": count - orders - cancels,
        "SELECT count(*) FROM backorders WHERE sku = 'SKU-SCARCE'": backordered - sum(
            1 for e in events if e.type.endswith("order.cancelled.v1") and int(e.data["order_id"][4:]) % 33 == 5),
        "SELECT count(*) FROM outbox WHERE event_type LIKE '%fulfillment.created%'": orders,
    })


# ---------------------------------------------------------------- order-svc


def order(count: int) -> Workload:
    """What order-svc hears about its confirmed orders: from fulfillment-svc created, packed,
    dispatched, in transit, out for delivery, delivered, completed; from notify-svc a
    notification.sent for confirmed, shipped, out for delivery and delivered; from feedback-svc
    survey.requested and, for 35 %, feedback.received. Each order's story spreads over the
    next ~40 orders'. The orders are in order-svc's schema beforehand (placed and confirmed)."""
    from order_svc.domain.commands import PlaceOrder
    from order_svc.domain.model import CatalogItem, Customer, Order, OrderRules
    from order_svc.domain.values import Address, LineRequest, Tier
    from orderpulse.business_days import BusinessCalendar

    catalog = {sku: CatalogItem(sku=sku, name=sku, unit_price=Decimal("12.50"), currency="EUR", max_quantity=10)
               for sku in SKUS}
    customer = Customer(customer_id="cus_1", tier=Tier.STANDARD, name="Ada", email="ada@example.com",
                        phone="+49 30 0000", timezone="UTC")
    rules = OrderRules(calendar=BusinessCalendar())
    placed_at = NOW - timedelta(days=4)

    def place(n: int) -> Order:
        lines = tuple(LineRequest(sku=line["sku"], quantity=line["quantity"], unit_price="12.50")
                      for line in order_lines(n) if line["sku"] != SCARCE)
        command = PlaceOrder(customer_id="cus_1", lines=lines, ship_to=Address(**ADDRESS, line1="1 Main St"),
                             channel="web", service_level="standard")
        return Order.place(command, order_id=f"ord_{n:07d}", customer=customer, catalog=catalog, rules=rules,
                           now=placed_at + timedelta(milliseconds=100 * n))

    def story(n: int, data: dict) -> list[tuple[int, Envelope]]:
        order_id, at = data["order_id"], placed_at + timedelta(milliseconds=100 * n)
        shipment = f"shp_{n:07d}"
        lines = data["lines"]
        units = [{"sku": line["sku"], "quantity": line["quantity"]} for line in lines]
        ful, ntf, fbk = "/fulfillment-svc", "/notify-svc", "/feedback-svc"

        def sent(step: int, milestone: str, hours: float) -> tuple[int, Envelope]:
            when = at + timedelta(hours=hours)
            return (n + step, event("notification.sent.v1", order_id, when, ntf, order_id=order_id,
                                    notification_id=f"ntf_{n:07d}_{milestone}", customer_id="cus_1",
                                    milestone=milestone, channel="email", trigger_event_id=f"trg_{n}_{milestone}",
                                    trigger_time=when.isoformat(), sent_at=when.isoformat()))

        delivered_at = at + timedelta(days=2)
        told = [
            (n, event("fulfillment.created.v1", order_id, at + timedelta(seconds=1), ful, order_id=order_id,
                      fulfillment_id=f"ful_{n:07d}", warehouse_id="wh-1", lines=lines)),
            sent(1, "order_confirmed", 0.01),
            (n + 5, event("fulfillment.packed.v1", order_id, at + timedelta(hours=3), ful, order_id=order_id,
                          fulfillment_id=f"ful_{n:07d}", shipment_id=shipment, lines=units,
                          documents=[{"kind": "invoice", "ref": f"inv_{n}"}], document_discrepancies=[])),
            (n + 8, event("shipment.dispatched.v1", order_id, at + timedelta(hours=4), ful, order_id=order_id,
                          shipment_id=shipment, warehouse_id="wh-1", carrier="ups", tracking_number=f"1Z{n:07d}",
                          lines=lines, promised_by=data["promised_by"],
                          eta=(at + timedelta(days=2)).isoformat())),
            sent(9, "shipped", 4.01),
            (n + 15, event("shipment.in_transit.v1", order_id, at + timedelta(hours=10), ful, order_id=order_id,
                           shipment_id=shipment, carrier="ups")),
            (n + 25, event("shipment.out_for_delivery.v1", order_id, at + timedelta(hours=40), ful,
                           order_id=order_id, shipment_id=shipment, carrier="ups")),
            sent(26, "out_for_delivery", 40.01),
            (n + 30, event("shipment.delivered.v1", order_id, delivered_at, ful, order_id=order_id,
                           shipment_id=shipment, carrier="ups", condition="intact", lines=units)),
            (n + 31, event("fulfillment.completed.v1", order_id, delivered_at, ful, order_id=order_id, shipments=1,
                           delivered_at=delivered_at.isoformat(), lines_requested=units, lines_delivered=units,
                           closed_short=False)),
            sent(32, "delivered", 48.01),
            (n + 35, event("survey.requested.v1", order_id, delivered_at + timedelta(hours=1), fbk, order_id=order_id,
                           survey_id=f"srv_{n:07d}", customer_id="cus_1", survey_url="https://s/t",
                           expires_at=(delivered_at + timedelta(days=14)).isoformat())),
        ]
        if n % 20 in (0, 3, 6, 9, 12, 15, 18):  # 35 %
            told.append((n + 40, event("feedback.received.v1", order_id, delivered_at + timedelta(hours=5), fbk,
                                       order_id=order_id, survey_id=f"srv_{n:07d}", customer_id="cus_1", csat=5)))
        return told

    per_order = 12.35
    orders = [place(n) for n in range(int(count / per_order) + 2)]
    placed = [next(e for e in o.events if e.type == "order.placed.v1").to_data() for o in orders]
    events = interleave(*(story(n, data) for n, data in enumerate(placed)))[:count]
    known = {e.data["order_id"] for e in events}
    orders = [o for o in orders if o.order_id in known]
    delivered = sum(e.type.endswith("shipment.delivered.v1") for e in events)
    shipments = sum(e.type.endswith("shipment.dispatched.v1") for e in events)

    async def prepare(database_url: str, schema: str) -> dict:
        from order_svc.adapters.unit_of_work import SqlOrderUnitOfWork
        from order_svc.entrypoints.consumer import handler_table
        from order_svc.manifest import MANIFEST
        from orderpulse.db.engine import create_engine, create_session_factory
        from orderpulse.heap import collect_young_objects_less_often

        collect_young_objects_less_often()  # as order_svc/main.py sets the process up
        await upgrade_async(MANIFEST.migrations, database_url, schema)
        engine = create_engine(database_url, schema=schema)
        try:
            sessions = create_session_factory(engine)
            for start in range(0, len(orders), 500):
                async with SqlOrderUnitOfWork(sessions, schema=schema, source="/order-svc") as uow:
                    for one in orders[start:start + 500]:
                        await uow.orders.add(one)
                    await uow.commit()
        finally:
            await engine.dispose()
        return dict(handler_table(lambda session: SqlOrderUnitOfWork.joining(session, schema=schema, source="/order-svc")))

    return Workload(events, prepare, {
        "SELECT count(*) FROM timeline": count,
        "SELECT count(*) FROM shipments": shipments,
        "SELECT count(*) FROM orders WHERE status = 'delivered'": delivered,
        "SELECT count(*) FROM orders": len(orders),
    })


# ---------------------------------------------------------------- feedback-svc


def feedback(count: int) -> Workload:
    """1,000 customer profiles, then order.placed per order; 98 % complete ~60 orders later
    (delivered a few minutes ago: each schedules its survey), 2 % are cancelled ~20 orders later."""
    customers = [(-1, event("customer.upserted.v1", f"cus_{c}", NOW - timedelta(days=30), "/order-svc",
                            customer_id=f"cus_{c}", tier="standard", name=f"Customer {c}", email=f"c{c}@example.com",
                            phone="+491510000000", locale=("en", "de", "fr")[c % 3], timezone="UTC"))
                 for c in range(min(1000, count))]
    placed, completed, cancelled = [], [], []
    n = 0
    while len(customers) + len(placed) + len(completed) + len(cancelled) < count:
        order_id = f"ord_{n:07d}"
        at = NOW - timedelta(days=3) + timedelta(milliseconds=100 * n)
        lines = order_lines(n)
        placed.append((n, event("order.placed.v1", order_id, at, "/order-svc", order_id=order_id,
                                customer_id=f"cus_{n % 1000}", customer_tier="standard", channel="web", lines=lines,
                                currency="EUR", total="12.50", ship_to=ADDRESS, service_level="standard",
                                promised_by=(at + timedelta(days=5)).isoformat(), entry_discrepancies=[])))
        if n % 50 == 7:
            cancelled.append((n + 20, event("order.cancelled.v1", order_id, at + timedelta(minutes=5), "/order-svc",
                                            order_id=order_id, reason="customer changed their mind",
                                            cancelled_by="storefront")))
        else:
            delivered_at = NOW - timedelta(minutes=5)
            units = [{"sku": line["sku"], "quantity": line["quantity"]} for line in lines]
            completed.append((n + 60, event("fulfillment.completed.v1", order_id, delivered_at, "/fulfillment-svc",
                                            order_id=order_id, shipments=1, delivered_at=delivered_at.isoformat(),
                                            lines_requested=units, lines_delivered=units, closed_short=False)))
        n += 1
    events = interleave(customers, placed, completed, cancelled)[:count]
    kinds = [e.type.removeprefix("orderpulse.") for e in events]

    async def prepare(database_url: str, schema: str) -> dict:
        from feedback_svc.adapters.unit_of_work import SqlUnitOfWork
        from feedback_svc.domain.survey_links import SurveyLinks
        from feedback_svc.entrypoints.consumer import handler_table
        from feedback_svc.manifest import MANIFEST
        from feedback_svc.service_layer.context import ServiceContext
        from orderpulse.scheduling import DueWorkLoop

        await upgrade_async(MANIFEST.migrations, database_url, schema)
        ctx = ServiceContext(unit_of_work=None, links=SurveyLinks(b"bench-secret-bench-secret-bench!", public_url="https://f"))
        loop = DueWorkLoop("bench", lambda now: None)  # never started: a nudge only sets its flag
        return handler_table(ctx, lambda session: SqlUnitOfWork.joining(session, schema=schema), loop,
                             nudge_horizon=timedelta(seconds=30))

    return Workload(events, prepare, {
        "SELECT count(*) FROM customer_locales": kinds.count("customer.upserted.v1"),
        "SELECT count(*) FROM known_orders WHERE customer_id IS NOT NULL": kinds.count("order.placed.v1"),
        "SELECT count(*) FROM known_orders WHERE cancelled_at IS NOT NULL": kinds.count("order.cancelled.v1"),
        "SELECT count(*) FROM surveys": kinds.count("fulfillment.completed.v1"),
    })


WORKLOADS: dict[str, Callable[[int], Workload]] = {"fulfillment": fulfillment, "order": order, "feedback": feedback}
