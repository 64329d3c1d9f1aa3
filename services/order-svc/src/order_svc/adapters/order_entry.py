"""Placing an order in one round trip, the statement its own transaction (see docs/benchmarks.md).

1. The reference data: the customer and the catalog items of the order's skus, from the
   process's copies (`reference_cache.py`); only when a copy is missing, one query reads them.
2. Everything else, atomically in one statement of data-modifying CTEs: compare the reference
   data the order was decided on with the tables (one snapshot with the writes), claim the
   Idempotency-Key with the reply already in it, and only if both succeeded write the order
   row, its lines and invoices, its timeline entries, the recorded events into the outbox, and
   the relay's NOTIFY (delivered at commit). Outdated reference data writes nothing and comes
   back current: the caller decides again. A key already taken writes nothing: the caller then
   reads the first reply the ordinary way. Two requests with one key serialise on its primary key.

Statements go straight to asyncpg (prepared once per connection) on `DirectConnections`, not
through SQLAlchemy: no pool pre-ping, no BEGIN/COMMIT round trips, no statement compilation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache

import orjson
from orderpulse.db.direct import DirectConnections
from orderpulse.messaging.outbox import notify_channel, outbox_row

from order_svc.adapters import rows, tables
from order_svc.adapters.driver import placeholders, row_values
from order_svc.adapters.reference_cache import CATALOG_COLUMNS, CUSTOMER_COLUMNS, ReferenceCache, Seen
from order_svc.domain.model import Order
from order_svc.service_layer.ports import IdempotentRequest, Placement, Reference, Reply, TimelineEntry

# The customer's row and the rows of the skus, as the copies hold them (`reference_cache.py`);
# skus in code-point order, as Python sorts them.
_CURRENT = (
    "(SELECT jsonb_build_array({customer}) FROM customers WHERE customer_id = ${c}::text) AS customer, "
    "(SELECT jsonb_agg(jsonb_build_array({catalog}) ORDER BY sku COLLATE \"C\") FROM catalog_items "
    "WHERE sku = ANY(${s}::text[])) AS catalog"
)


def _current(customer_slot: int, skus_slot: int) -> str:
    return _CURRENT.format(
        customer=", ".join(CUSTOMER_COLUMNS), catalog=", ".join(CATALOG_COLUMNS), c=customer_slot, s=skus_slot
    )


_REFERENCE = f"SELECT customer::text, catalog::text FROM (SELECT {_current(1, 2)}) AS present"

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
SELECT EXISTS (SELECT 1 FROM go) AS placed, NOT EXISTS (SELECT 1 FROM fresh) AS outdated,
       (SELECT pg_notify(${n}::text, '') FROM go, doc WHERE jsonb_array_length(doc.j->'outbox') > 0) AS notified,
       (SELECT customer::text FROM present WHERE NOT EXISTS (SELECT 1 FROM fresh)) AS customer,
       (SELECT catalog::text FROM present WHERE NOT EXISTS (SELECT 1 FROM fresh)) AS catalog
"""


_ORDER_COLUMNS = tuple(c.name for c in tables.orders.columns)


@lru_cache(maxsize=4)
def _place_statement(order_columns: tuple[str, ...]) -> str:
    names, marks = placeholders(tables.orders, 1, order_columns)
    if names[0] != "order_id":
        raise ValueError("the statement binds order_id as $1")
    slots, next_slot = {}, len(marks) + 1
    for group, size in (("k", 5), ("d", 1), ("n", 1), ("c", 1), ("s", 1), ("seen", 2)):
        for index in range(size):
            slots[group if index == 0 else f"{group}{index}"] = next_slot
            next_slot += 1
    check = (
        f"WITH present AS MATERIALIZED (SELECT {_current(slots['c'], slots['s'])}),\n"
        "fresh AS (SELECT 1 FROM present WHERE customer IS NOT DISTINCT FROM ${seen}::text::jsonb "
        "AND coalesce(catalog, '[]'::jsonb) = ${seen1}::text::jsonb),\n"
    ).format(**slots)
    claim = (
        "claim AS (INSERT INTO idempotency_keys (principal, key, request_hash, status_code, response_body) "
        "SELECT ${k}::text, ${k1}::text, ${k2}::text, ${k3}::int4, ${k4}::bytea FROM fresh WHERE ${k1}::text IS NOT NULL "
        "ON CONFLICT DO NOTHING RETURNING 1),\n"
        "go AS (SELECT 1 FROM fresh WHERE ${k1}::text IS NULL OR EXISTS (SELECT 1 FROM claim)),\n"
    ).format(**slots)
    order = f"placed AS (INSERT INTO orders ({', '.join(names)}) SELECT {', '.join(marks)} FROM go),"
    return check + claim + order + _AFTER_ORDER.format(**slots)


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
    error, terminates it) before returning: no connection is held between two statements, so
    none can outlive its request or be reached from another task."""

    def __init__(self, uow, connections: DirectConnections, copies: ReferenceCache, *, schema: str) -> None:
        self._uow = uow  # SqlOrderUnitOfWork: the events recorded in it
        self._connections = connections
        self._copies = copies
        self._schema = schema

    async def reference(self, customer_id: str, skus: Iterable[str], *, checked: bool = False) -> Reference:
        if not checked and (held := self._copies.reference(customer_id, skus)) is not None:
            return held
        wanted = sorted(set(skus))
        found = await self._connections.fetchrow(_REFERENCE, customer_id, wanted)
        return self._copies.load(customer_id, wanted, found["customer"], found["catalog"])

    async def place(
        self,
        order: Order,
        timeline: Sequence[TimelineEntry],
        reply: Reply,
        idempotency: IdempotentRequest | None,
        reference: Reference,
    ) -> Placement:
        if order.returns or order.fulfillment.shipments:
            raise ValueError("a new order has no returns or shipments yet")
        seen: Seen = reference.seen
        order_row = rows.order_row(order)
        outbox = [outbox_row(envelope) for envelope in self._uow.recorded]
        key = (idempotency.principal, idempotency.key, idempotency.fingerprint) if idempotency else (None, None, None)
        arguments = [
            *row_values(tables.orders, order_row),
            *key, reply.status_code, reply.body,
            _children(order, timeline, outbox),
            notify_channel(self._schema),
            order.customer_id, seen.skus, seen.customer, seen.catalog,
        ]
        columns = tuple(name for name in _ORDER_COLUMNS if name in order_row)
        found = await self._connections.fetchrow(_place_statement(columns), *arguments)
        if found["outdated"]:
            self._uow.take_events()  # recorded for an order decided on outdated data: dropped with it
            current = self._copies.load(order.customer_id, seen.skus, found["customer"], found["catalog"])
            return Placement(placed=False, outdated_by=current)
        if found["placed"]:
            self._uow.take_events()  # in the outbox now
        return Placement(placed=found["placed"])
