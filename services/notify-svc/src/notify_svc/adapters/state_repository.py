"""What notify-svc learned from events, in PostgreSQL: customers (+ preferences), orders, parcels,
milestones reached, and events parked until their order is known."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from types import MappingProxyType
from typing import Any

import orjson
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc.domain.preferences import Preferences, QuietHours, parse_hh_mm
from notify_svc.domain.values import Customer, MilestoneReached, OrderFacts, ShipmentFacts
from notify_svc.service_layer.ports import OrderContext, ParkedEvent

_CUSTOMER_COLUMNS = "customer_id, tier, name, email, phone, locale, timezone, account_manager, preferences"


_UPSERT_CUSTOMER = text(
    "INSERT INTO customers (customer_id, tier, name, email, phone, locale, timezone, account_manager) "
    "VALUES (:customer_id, :tier, :name, :email, :phone, :locale, :timezone, :account_manager) "
    "ON CONFLICT (customer_id) DO UPDATE SET tier = excluded.tier, name = excluded.name, "
    "email = excluded.email, phone = excluded.phone, locale = excluded.locale, "
    "timezone = excluded.timezone, account_manager = excluded.account_manager, updated_at = clock_timestamp()"
)
ADD_ORDER = text(
    "INSERT INTO orders (order_id, customer_id, tier, promised_by) VALUES (:o, :c, :t, :p) ON CONFLICT (order_id) DO NOTHING"
)
ADD_SHIPMENT = text(
    "INSERT INTO shipments (shipment_id, order_id, carrier, tracking_number, promised_by, eta) "
    "VALUES (:s, :o, :c, :t, :p, :e) ON CONFLICT (shipment_id) DO NOTHING"
)
ADD_MILESTONE = text(
    "INSERT INTO milestones (event_id, order_id, scope, milestone, event_time) VALUES (:e, :o, :s, :m, :t) "
    "ON CONFLICT DO NOTHING"
)
PARK = text(
    "INSERT INTO parked_events (event_id, order_id, event_type, event_time, data) "
    "VALUES (:e, :o, :t, :at, CAST(:d AS jsonb)) ON CONFLICT DO NOTHING"
)
UNPARK = text(
    "DELETE FROM parked_events WHERE order_id = ANY(CAST(:o AS text[])) "
    "RETURNING order_id, event_id, event_type, event_time, data"
)
_ORDER_CONTEXT_COLUMNS = (
    "SELECT o.order_id, o.customer_id, o.tier, o.promised_by, c.customer_id AS known_customer, c.tier AS customer_tier, "
    "c.name, c.email, c.phone, c.locale, c.timezone, c.account_manager, c.preferences, "
    "COALESCE((SELECT json_agg(json_build_array(m.scope, m.milestone, m.event_time) ORDER BY m.event_time) "
    "FROM milestones m WHERE m.order_id = o.order_id), '[]'::json) AS history "
)
_ORDER_CONTEXT_WIDTH = 14  # the columns above, which `context_of` unpacks in this order
_ORDER_CONTEXT = text(
    _ORDER_CONTEXT_COLUMNS + "FROM orders o LEFT JOIN customers c ON c.customer_id = o.customer_id WHERE o.order_id = :o"
)
# a join, not `order_id = ANY(...)`: the generic plan of the latter can scan the whole table
ORDER_CONTEXTS_FROM = (
    "FROM unnest(CAST(:o AS text[])) AS wanted (order_id) "
    "JOIN orders o ON o.order_id = wanted.order_id LEFT JOIN customers c ON c.customer_id = o.customer_id"
)
ORDER_CONTEXT_COLUMNS = _ORDER_CONTEXT_COLUMNS
_ORDER_CONTEXTS = text(_ORDER_CONTEXT_COLUMNS + ORDER_CONTEXTS_FROM)


def preferences_to_json(preferences: Preferences) -> str:
    return orjson.dumps(
        {
            "channels": dict(preferences.channels),
            "quiet_hours": None if preferences.quiet_hours is None else preferences.quiet_hours.to_data(),
            "locale": preferences.locale,
        }
    ).decode()


_NO_PREFERENCES = Preferences(channels=MappingProxyType({}))  # immutable: one for every customer without any


def preferences_from_json(stored: dict[str, Any] | None) -> Preferences:
    if not stored:
        return _NO_PREFERENCES
    quiet = stored.get("quiet_hours")
    return Preferences(
        channels={str(k): bool(v) for k, v in (stored.get("channels") or {}).items()},
        quiet_hours=None
        if not quiet
        else QuietHours(parse_hh_mm(quiet["start"], "quiet_hours.start"), parse_hh_mm(quiet["end"], "quiet_hours.end")),
        locale=stored.get("locale"),
    )


def _customer(row: Any) -> Customer:
    """From a customers row, or an order-context row (whose `tier` is the order's: `customer_tier` wins)."""
    return Customer(
        customer_id=row.customer_id,
        tier=getattr(row, "customer_tier", row.tier),
        name=row.name,
        email=row.email,
        phone=row.phone,
        locale=row.locale,
        timezone=row.timezone,
        account_manager=row.account_manager,
        preferences=preferences_from_json(row.preferences),
    )


def context_of(row: Any) -> OrderContext:
    """From a row of `_ORDER_CONTEXT_COLUMNS` (and maybe more after them), read by position: a
    batch reads hundreds, and a row's attribute lookups by name were most of the cost."""
    (order_id, customer_id, tier, promised_by, known_customer, customer_tier, name, email, phone, locale, timezone,
     account_manager, preferences, history) = row[:_ORDER_CONTEXT_WIDTH]
    order = OrderFacts(order_id, customer_id, tier, promised_by)
    customer = None if known_customer is None else Customer(
        known_customer, customer_tier, name, email, phone, locale, timezone, account_manager, preferences_from_json(preferences)
    )
    if not isinstance(history, list):
        history = orjson.loads(history)
    reached = [MilestoneReached(scope, milestone, datetime.fromisoformat(at)) for scope, milestone, at in history] if history else []
    return OrderContext(order, customer, reached)


class SqlKnownState:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _write(self, statement: TextClause, params: dict[str, Any]) -> None:
        """Statements that return nothing go through here (a batch's unit of work defers them)."""
        await self._session.execute(statement, params)

    async def upsert_customer(self, customer: Customer) -> None:
        await self._write(
            _UPSERT_CUSTOMER,
            {
                "customer_id": customer.customer_id,
                "tier": customer.tier,
                "name": customer.name,
                "email": customer.email,
                "phone": customer.phone,
                "locale": customer.locale,
                "timezone": customer.timezone,
                "account_manager": customer.account_manager,
            },
        )

    async def customer(self, customer_id: str) -> Customer | None:
        row = (
            await self._session.execute(
                text(f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE customer_id = :id"), {"id": customer_id}
            )
        ).first()
        return None if row is None else _customer(row)

    async def customers(self, customer_ids: Iterable[str]) -> dict[str, Customer]:
        rows = await self._session.execute(
            text(f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE customer_id = ANY(CAST(:ids AS text[]))"),
            {"ids": list(set(customer_ids))},
        )
        return {row.customer_id: _customer(row) for row in rows}

    async def save_preferences(self, customer_id: str, preferences: Preferences) -> Customer:
        row = (
            await self._session.execute(
                text(
                    "INSERT INTO customers (customer_id, preferences) VALUES (:id, CAST(:p AS jsonb)) "
                    "ON CONFLICT (customer_id) DO UPDATE SET preferences = excluded.preferences, updated_at = clock_timestamp() "
                    f"RETURNING {_CUSTOMER_COLUMNS}"
                ),
                {"id": customer_id, "p": preferences_to_json(preferences)},
            )
        ).one()
        return _customer(row)

    async def add_order(self, order: OrderFacts) -> None:
        await self._write(ADD_ORDER, {"o": order.order_id, "c": order.customer_id, "t": order.tier, "p": order.promised_by})

    async def order(self, order_id: str) -> OrderFacts | None:
        row = (
            await self._session.execute(
                text("SELECT order_id, customer_id, tier, promised_by FROM orders WHERE order_id = :o"), {"o": order_id}
            )
        ).first()
        return None if row is None else OrderFacts(row.order_id, row.customer_id, row.tier, row.promised_by)

    async def order_context(self, order_id: str) -> OrderContext | None:
        row = (await self._session.execute(_ORDER_CONTEXT, {"o": order_id})).first()
        return None if row is None else context_of(row)

    async def order_contexts(self, order_ids: Iterable[str]) -> dict[str, OrderContext]:
        """The known ones among these orders, by id, in one read."""
        rows = await self._session.execute(_ORDER_CONTEXTS, {"o": list(set(order_ids))})
        return {row.order_id: context_of(row) for row in rows}

    async def add_shipment(self, shipment: ShipmentFacts) -> None:
        await self._write(
            ADD_SHIPMENT,
            {
                "s": shipment.shipment_id,
                "o": shipment.order_id,
                "c": shipment.carrier,
                "t": shipment.tracking_number,
                "p": shipment.promised_by,
                "e": shipment.eta,
            },
        )

    async def shipments(self, shipment_ids: Iterable[str]) -> list[ShipmentFacts]:
        rows = await self._session.execute(
            text(
                "SELECT shipment_id, order_id, carrier, tracking_number, promised_by, eta FROM shipments "
                "WHERE shipment_id = ANY(CAST(:ids AS text[])) ORDER BY shipment_id"
            ),
            {"ids": list(shipment_ids)},
        )
        return [ShipmentFacts(*row) for row in rows]

    async def promised_by(self, order_id: str, shipment_id: str | None) -> datetime | None:
        row = (
            await self._session.execute(
                text(
                    "SELECT COALESCE((SELECT promised_by FROM shipments WHERE shipment_id = :s), "
                    "(SELECT promised_by FROM orders WHERE order_id = :o))"
                ),
                {"s": shipment_id or "", "o": order_id},
            )
        ).scalar()
        return row

    async def add_milestone(self, event_id: str, order_id: str, reached: MilestoneReached) -> None:
        await self._write(
            ADD_MILESTONE, {"e": event_id, "o": order_id, "s": reached.scope, "m": reached.milestone, "t": reached.time}
        )

    async def histories(self, order_ids: Iterable[str]) -> dict[str, list[MilestoneReached]]:
        rows = await self._session.execute(
            text(
                "SELECT order_id, scope, milestone, event_time FROM milestones "
                "WHERE order_id = ANY(CAST(:ids AS text[])) ORDER BY event_time"
            ),
            {"ids": list(set(order_ids))},
        )
        found: dict[str, list[MilestoneReached]] = {}
        for row in rows:
            found.setdefault(row.order_id, []).append(MilestoneReached(row.scope, row.milestone, row.event_time))
        return found

    async def park(self, order_id: str, event: ParkedEvent) -> None:
        await self._write(
            PARK,
            {"e": event.event_id, "o": order_id, "t": event.short_type, "at": event.time, "d": orjson.dumps(event.data).decode()},
        )

    async def unpark(self, order_id: str) -> list[ParkedEvent]:
        return (await self.unpark_all([order_id])).get(order_id, [])

    async def unpark_all(self, order_ids: Iterable[str]) -> dict[str, list[ParkedEvent]]:
        return unparked(await self._session.execute(UNPARK, unpark_params(order_ids)))


def unpark_params(order_ids: Iterable[str]) -> dict[str, Any]:
    return {"o": list(set(order_ids))}


def unparked(rows: Iterable[Any]) -> dict[str, list[ParkedEvent]]:
    """`UNPARK`'s rows by order, oldest event time first."""
    parked: dict[str, list[ParkedEvent]] = {}
    for row in rows:
        parked.setdefault(row.order_id, []).append(ParkedEvent(row.event_id, row.event_type, row.event_time, row.data))
    return {order_id: sorted(events, key=lambda event: (event.time, event.event_id)) for order_id, events in parked.items()}
