"""Placing an order in two round trips, each statement its own transaction (see docs/benchmarks.md).

1. The reference data: the customer and the catalog items of the order's skus, one query. (Read
   committed reads them no differently inside a transaction: no locks were ever taken on them.)
2. Everything else, atomically in one statement of data-modifying CTEs: claim the
   Idempotency-Key with the reply already in it, and only if the claim succeeded write the order
   row, its lines and invoices, its timeline entries, the recorded events into the outbox, and
   the relay's NOTIFY (delivered at commit). A key already taken writes nothing: the caller then
   reads the first reply the ordinary way. Two requests with one key serialise on its primary key.

Statements go straight to asyncpg (prepared once per connection) on `DirectConnections`, not
through SQLAlchemy: no pool pre-ping, no BEGIN/COMMIT round trips, no statement compilation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache

import orjson
from orderpulse.messaging.outbox import notify_channel, outbox_row

from order_svc.adapters import rows, tables
from order_svc.adapters.driver import DirectConnections, placeholders, row_values
from order_svc.adapters.reference_data import customer_from_row
from order_svc.domain.model import CatalogItem, Customer, Order
from order_svc.service_layer.ports import IdempotentRequest, Reply, TimelineEntry

_REFERENCE = """
SELECT
    (SELECT to_jsonb(c)::text FROM customers c WHERE c.customer_id = $1::text) AS customer,
    (SELECT jsonb_agg(jsonb_build_array(sku, name, unit_price::text, currency, max_quantity))::text
       FROM catalog_items WHERE sku = ANY($2::text[])) AS catalog
"""

# The child rows travel as one JSON document (`$d`, parsed once in `doc`): one parameter to
# encode instead of ~25 arrays. Timeline and outbox rows keep their order (positions and ids
# are serials; the relay publishes in id order).
_AFTER_ORDER = """
doc AS (SELECT ${d}::text::jsonb AS j),
lines AS (
    INSERT INTO order_lines (order_id, position, line_id, sku, quantity, unit_price)
    SELECT $1::text, (r->>'position')::int4, r->>'line_id', r->>'sku', (r->>'quantity')::int4,
           (r->>'unit_price')::numeric
    FROM go, doc, jsonb_array_elements(doc.j->'lines') AS r
),
invoices AS (
    INSERT INTO invoices (invoice_id, order_id, position, lines, subtotal, tax, total, currency, issued_at)
    SELECT r->>'invoice_id', $1::text, (r->>'position')::int4, r->'lines', (r->>'subtotal')::numeric,
           (r->>'tax')::numeric, (r->>'total')::numeric, r->>'currency', (r->>'issued_at')::timestamptz
    FROM go, doc, jsonb_array_elements(doc.j->'invoices') AS r
),
timeline AS (
    INSERT INTO timeline (event_id, order_id, type, source, occurred_at, data)
    SELECT r->>'event_id', r->>'order_id', r->>'type', r->>'source', (r->>'occurred_at')::timestamptz, r->'data'
    FROM go, doc, jsonb_array_elements(doc.j->'timeline') WITH ORDINALITY AS e(r, n) ORDER BY n
    ON CONFLICT (event_id) DO NOTHING
),
outbox AS (
    INSERT INTO outbox (event_id, topic, key, event_type, payload, traceparent)
    SELECT r->>'event_id', r->>'topic', r->>'key', r->>'event_type', convert_to(r->>'payload', 'UTF8'),
           r->>'traceparent'
    FROM go, doc, jsonb_array_elements(doc.j->'outbox') WITH ORDINALITY AS e(r, n) ORDER BY n
)
SELECT EXISTS (SELECT 1 FROM go) AS placed,
       (SELECT pg_notify(${n}::text, '') FROM go, doc WHERE jsonb_array_length(doc.j->'outbox') > 0) AS notified
"""


@lru_cache(maxsize=4)
def _place_statement(order_columns: tuple[str, ...]) -> str:
    names, marks = placeholders(tables.orders, 1, order_columns)
    if names[0] != "order_id":
        raise ValueError("the statement binds order_id as $1")
    slots, next_slot = {}, len(marks) + 1
    for group, size in (("k", 5), ("d", 1), ("n", 1)):
        for index in range(size):
            slots[group if index == 0 else f"{group}{index}"] = next_slot
            next_slot += 1
    claim = (
        "WITH claim AS (INSERT INTO idempotency_keys (principal, key, request_hash, status_code, response_body) "
        "SELECT ${k}::text, ${k1}::text, ${k2}::text, ${k3}::int4, ${k4}::bytea WHERE ${k1}::text IS NOT NULL "
        "ON CONFLICT DO NOTHING RETURNING 1),\n"
        "go AS (SELECT 1 WHERE ${k1}::text IS NULL OR EXISTS (SELECT 1 FROM claim)),\n"
    ).format(**slots)
    order = f"placed AS (INSERT INTO orders ({', '.join(names)}) SELECT {', '.join(marks)} FROM go),"
    return claim + order + _AFTER_ORDER.format(**slots)


def _decimal_text(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _children(order: Order, timeline: Sequence[TimelineEntry], outbox: Sequence[dict]) -> str:
    """The order's lines and invoices, its timeline entries and its outbox rows: one JSON document
    (numbers as text, times as RFC 3339 with their offset, outbox payloads as strings)."""
    doc = {
        "lines": rows.line_rows(order.order_id, order.lines),
        "invoices": [rows.invoice_row(order.order_id, n, invoice) for n, invoice in enumerate(order.invoices)],
        "timeline": [
            {"event_id": e.event_id, "order_id": e.order_id, "type": e.type, "source": e.source,
             "occurred_at": e.occurred_at, "data": e.data}
            for e in timeline
        ],
        "outbox": [{**row, "payload": row["payload"].decode()} for row in outbox],
    }
    return orjson.dumps(doc, default=_decimal_text).decode()


class SqlOrderEntry:
    """Each statement takes a pooled connection for itself alone and gives it back (or, after an
    error, terminates it) before returning: no connection is held between the two statements,
    so none can outlive its request or be reached from another task."""

    def __init__(self, uow, connections: DirectConnections, *, schema: str) -> None:
        self._uow = uow  # SqlOrderUnitOfWork: the events recorded in it
        self._connections = connections
        self._schema = schema

    async def reference(self, customer_id: str, skus: Iterable[str]) -> tuple[Customer | None, dict[str, CatalogItem]]:
        found = await self._connections.fetchrow(_REFERENCE, customer_id, sorted(set(skus)))
        customer = None if found["customer"] is None else customer_from_row(orjson.loads(found["customer"]))
        catalog = {
            sku: CatalogItem(sku=sku, name=name, unit_price=Decimal(price), currency=currency, max_quantity=limit)
            for sku, name, price, currency, limit in orjson.loads(found["catalog"] or "[]")
        }
        return customer, catalog

    async def place(
        self, order: Order, timeline: Sequence[TimelineEntry], reply: Reply, idempotency: IdempotentRequest | None
    ) -> bool:
        if order.returns or order.fulfillment.shipments:
            raise ValueError("a new order has no returns or shipments yet")
        order_row = rows.order_row(order)
        outbox = [outbox_row(envelope) for envelope in self._uow.recorded]
        key = (idempotency.principal, idempotency.key, idempotency.fingerprint) if idempotency else (None, None, None)
        arguments = [
            *row_values(tables.orders, order_row),
            *key, reply.status_code, reply.body,
            _children(order, timeline, outbox),
            notify_channel(self._schema),
        ]
        columns = tuple(c.name for c in tables.orders.columns if c.name in order_row)
        placed = await self._connections.fetchval(_place_statement(columns), *arguments)
        if placed:
            self._uow.take_events()  # in the outbox now
        return placed
