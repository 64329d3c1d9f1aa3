"""Builders for the fulfillment-svc domain tests: a small warehouse, orders, packs and scans.

Exposed as one session-scoped fixture (`build`) so hypothesis tests can use it too and no test
imports another test module.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fulfillment_svc.domain.documents import Document
from fulfillment_svc.domain.fulfillment import Fulfillment
from fulfillment_svc.domain.opening import open_fulfillment
from fulfillment_svc.domain.orders import ConfirmedOrder
from fulfillment_svc.domain.scans import CarrierScan
from fulfillment_svc.domain.shipment import Shipment
from fulfillment_svc.domain.stock import Stock
from fulfillment_svc.domain.values import OrderLine, SkuQuantity

WAREHOUSE = "wh_berlin"
PRICES = {"MUG": Decimal("12.50"), "TEE": Decimal("20.00"), "CAP": Decimal("15.00")}


class Builders:
    warehouse = WAREHOUSE
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def at(self, *, hours: float = 0, days: float = 0) -> datetime:
        return self.t0 + timedelta(hours=hours, days=days)

    def lines(self, **quantities: int) -> tuple[SkuQuantity, ...]:
        return tuple(SkuQuantity(sku, quantity) for sku, quantity in quantities.items())

    def order(self, order_id: str = "ord_1", **quantities: int) -> ConfirmedOrder:
        quantities = quantities or {"MUG": 2, "TEE": 1}
        return ConfirmedOrder(
            order_id=order_id,
            lines=tuple(
                OrderLine(f"{order_id}_l{n}", sku, quantity, PRICES[sku])
                for n, (sku, quantity) in enumerate(quantities.items(), start=1)
            ),
            promised_by=self.at(days=5),
            service_level="standard",
            ship_to={"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"},
        )

    def stock(self, **on_hand: int) -> dict[str, Stock]:
        return {sku: Stock(WAREHOUSE, sku, on_hand=quantity) for sku, quantity in on_hand.items()}

    def fulfillment(
        self,
        order: ConfirmedOrder | None = None,
        *,
        stock: dict[str, Stock] | None = None,
        fulfillment_id: str = "ful_1",
        at: datetime | None = None,
    ) -> Fulfillment:
        order = order or self.order()
        stock = stock if stock is not None else self.stock(**{line.sku: 100 for line in order.lines})
        fulfillment = open_fulfillment(
            order,
            fulfillment_id=fulfillment_id,
            warehouse_id=WAREHOUSE,
            ship_deadline=self.at(days=2),
            occurred_at=at or self.t0,
            stock_by_sku=stock,
        )
        fulfillment.events.clear()
        return fulfillment

    def document(
        self, kind: str = "invoice", ref: str = "INV-1", *, total: str | None = None, **quantities: int
    ) -> Document:
        return Document(kind, ref, self.lines(**quantities), None if total is None else Decimal(total))

    def clean_documents(self, **quantities: int) -> list[Document]:
        """An invoice with the right total and a packing slip, both listing exactly these lines."""
        total = sum((PRICES[sku] * quantity for sku, quantity in quantities.items()), Decimal("0"))
        return [
            self.document("invoice", "INV-1", total=str(total), **quantities),
            self.document("packing_slip", "PS-1", **quantities),
        ]

    def pack(self, fulfillment: Fulfillment, shipment_id: str = "shp_1", *, hours: float = 1, **quantities: int):
        return fulfillment.pack(
            shipment_id=shipment_id,
            lines=self.lines(**quantities),
            documents=self.clean_documents(**quantities),
            occurred_at=self.at(hours=hours),
        )

    def ship(
        self,
        fulfillment: Fulfillment,
        stock: dict[str, Stock],
        shipment_id: str = "shp_1",
        *,
        tracking_number: str = "1Z001",
        carrier: str = "dhl",
        hours: float = 2,
        **quantities: int,
    ) -> Shipment:
        """Pack with clean documents and dispatch."""
        self.pack(fulfillment, shipment_id, hours=hours - 1, **quantities)
        return fulfillment.dispatch(
            shipment_id=shipment_id,
            carrier=carrier,
            tracking_number=tracking_number,
            occurred_at=self.at(hours=hours),
            stock_by_sku=stock,
            eta=self.at(days=3),
        )

    def scan(
        self,
        event_id: str,
        status: str,
        *,
        hours: float,
        tracking_number: str = "1Z001",
        **fields,
    ) -> CarrierScan:
        return CarrierScan(event_id, tracking_number, status, self.at(hours=hours), **fields)


@pytest.fixture(scope="session")
def build() -> Builders:
    return Builders()
