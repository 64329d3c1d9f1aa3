"""Customers and catalog items held in the process, each with the exact values it was read as.

Orders are decided against these copies, never trusted blindly: the placing statement
(`order_entry.py`) compares what the decision saw (`Seen`) with what the table holds in the same
snapshot as its writes, and writes nothing when they differ. It then returns the current values,
which replace the copies here, and the order is decided again. So a price or a customer changed
by any replica is never accepted stale; it costs the first order after the change one more
round trip, and every other order none for its reference data.

A customer is held only once it has been seen to exist (an unknown customer is refused, and a
refusal is always decided on values read from the table). A sku may be held as absent: the
statement's comparison covers every sku the order names, so one created later is noticed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import orjson

from order_svc.adapters.reference_data import customer_from_row
from order_svc.domain.model import CatalogItem, Customer
from order_svc.service_layer.ports import Reference

# The columns each copy is compared on, as `jsonb_build_array(...)` in the statements; a copy is
# that array as the database printed it, so an equal copy compares equal as jsonb.
CUSTOMER_COLUMNS = ("customer_id", "tier", "name", "email", "phone", "locale", "timezone", "account_manager")
CATALOG_COLUMNS = ("sku", "name", "unit_price::text", "currency", "max_quantity")


@dataclass(frozen=True, slots=True)
class Seen:
    """What an order was decided against, as JSON the statement compares with the tables:
    the customer's row (None when unknown: SQL NULL) and the rows of the order's skus that exist, by sku."""

    customer: str | None
    catalog: str
    skus: list[str]  # every sku the order names, sorted, once each


def catalog_item(row: list) -> CatalogItem:
    sku, name, price, currency, limit = row
    return CatalogItem(sku=sku, name=name, unit_price=Decimal(price), currency=currency, max_quantity=limit)


class ReferenceCache:
    """The copies, shared by every request of the process; at most `max_entries` of each kind
    (the oldest copy goes first)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max_entries = max_entries
        self._customers: dict[str, tuple[list, Customer]] = {}
        self._items: dict[str, tuple[list, CatalogItem] | None] = {}  # None: known to be absent

    def reference(self, customer_id: str, skus: Iterable[str]) -> Reference | None:
        """The reference data of an order from the copies, or None if any of it is not held."""
        customer = self._customers.get(customer_id)
        if customer is None:
            return None
        wanted = sorted(set(skus))
        items = self._items
        rows, catalog = [], {}
        for sku in wanted:
            if sku not in items:
                return None
            held = items[sku]
            if held is not None:
                rows.append(held[0])
                catalog[sku] = held[1]
        seen = Seen(customer=orjson.dumps(customer[0]).decode(), catalog=orjson.dumps(rows).decode(), skus=wanted)
        return Reference(customer=customer[1], catalog=catalog, checked=False, seen=seen)

    def load(self, customer_id: str, skus: Iterable[str], customer_text: str | None, catalog_text: str | None) -> Reference:
        """Hold what the database answered for `customer_id` and `skus` (the two JSON columns of the
        statements: the customer's row array or NULL, the skus' row arrays or NULL), and return it."""
        wanted = sorted(set(skus))
        customer_row = None if customer_text is None else orjson.loads(customer_text)
        customer = None
        if customer_row is None:
            self._customers.pop(customer_id, None)
        else:
            customer = customer_from_row(dict(zip(CUSTOMER_COLUMNS, customer_row, strict=True)))
            self._hold(self._customers, customer_id, (customer_row, customer))
        rows = orjson.loads(catalog_text) if catalog_text is not None else []
        catalog = {row[0]: catalog_item(row) for row in rows}
        by_sku = {row[0]: row for row in rows}
        for sku in wanted:
            row = by_sku.get(sku)
            self._hold(self._items, sku, None if row is None else (row, catalog[sku]))
        seen = Seen(
            customer=customer_text,
            catalog=orjson.dumps([by_sku[sku] for sku in wanted if sku in by_sku]).decode(),
            skus=wanted,
        )
        return Reference(customer=customer, catalog=catalog, seen=seen)

    def _hold(self, copies: dict, key: str, value) -> None:
        copies.pop(key, None)
        if len(copies) >= self._max_entries:
            del copies[next(iter(copies))]
        copies[key] = value
