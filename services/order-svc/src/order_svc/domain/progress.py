"""What an order knows of its fulfillment: shipments, dispatched and delivered quantities,
and the status those facts imply. Facts may arrive late, twice, or out of order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from .status import IN_FULFILLMENT_FACTS, SHIPMENT_SCAN_FACTS, OrderStatus
from .values import FulfillmentFact, OrderLine, ShipmentSummary, SkuQuantity

LinesLike = Iterable[SkuQuantity | Mapping]
_VALUES = (SkuQuantity, OrderLine)  # never mappings


def sku_counts(lines: LinesLike) -> Counter[str]:
    """Sum quantities per sku from values or `{"sku", "quantity"}` mappings (facts are
    other services' truth: taken as reported, not validated like caller input)."""
    return Counter(_summed((lines,)))


def _summed(groups: Iterable[LinesLike]) -> dict[str, int]:
    """`sku_counts` of several groups of lines added up, as a plain dict (a Counter's
    `__missing__` and `update` run in Python: the status check sums lines for every fact)."""
    counts: dict[str, int] = {}
    for lines in groups:
        for line in lines:
            # a dict or a value first: an isinstance check against the Mapping ABC costs more than the rest
            if isinstance(line, dict) or (type(line) not in _VALUES and isinstance(line, Mapping)):
                sku, quantity = line["sku"], int(line["quantity"])
            else:
                sku, quantity = line.sku, int(line.quantity)
            counts[sku] = counts.get(sku, 0) + quantity
    return counts


def as_lines(counts: Mapping[str, int]) -> tuple[SkuQuantity, ...]:
    return tuple(SkuQuantity(sku, count) for sku, count in counts.items() if count > 0)


def covers(have: Mapping[str, int], need: Mapping[str, int]) -> bool:
    return all(have.get(sku, 0) >= count for sku, count in need.items())


@dataclass
class FulfillmentProgress:
    shipments: dict[str, ShipmentSummary] = field(default_factory=dict)
    facts: list[FulfillmentFact] = field(default_factory=list)
    completed_lines: tuple[SkuQuantity, ...] = ()
    completed_at: datetime | None = None
    closed_short: bool = False

    def dispatched(self) -> Counter[str]:
        return Counter(self._dispatched_counts())

    def delivered(self) -> Counter[str]:
        """Per sku, the larger of the sum over delivered shipments and what
        `fulfillment.completed` reported as delivered."""
        return Counter(self._delivered_counts())

    def _dispatched_counts(self) -> dict[str, int]:
        return _summed(shipment.dispatched_lines for shipment in self.shipments.values())

    def _delivered_counts(self) -> dict[str, int]:
        total = _summed(shipment.delivered_lines for shipment in self.shipments.values())
        for sku, count in _summed((self.completed_lines,)).items():
            total[sku] = max(total.get(sku, 0), count)
        return total

    def record(
        self,
        kind: str,
        occurred_at: datetime,
        ordered: LinesLike,
        *,
        shipment_id: str | None = None,
        lines: LinesLike = (),
        carrier: str | None = None,
        tracking_number: str | None = None,
        condition: str | None = None,
        closed_short: bool | None = None,
    ) -> OrderStatus | None:
        """Remember one fact; return the status it implies (None: it implies none). `ordered`:
        the order's lines, summed per sku only for a fact that moves the shipping status."""
        self.facts.append(FulfillmentFact(kind=kind, occurred_at=occurred_at, shipment_id=shipment_id))
        if kind in IN_FULFILLMENT_FACTS:
            return OrderStatus.IN_FULFILLMENT
        if kind == "fulfillment.completed":
            self.completed_lines = as_lines(sku_counts(lines))
            self.completed_at = occurred_at
            self.closed_short = bool(closed_short)
            return OrderStatus.DELIVERED
        if not kind.startswith("shipment.") or shipment_id is None:
            return None
        if kind == "shipment.dispatched":
            self._dispatched(shipment_id, occurred_at, lines, carrier, tracking_number)
        elif kind == "shipment.delivered":
            self._delivered(shipment_id, occurred_at, lines, carrier, condition)
        elif kind in SHIPMENT_SCAN_FACTS:
            self._scanned(shipment_id, kind.removeprefix("shipment."), occurred_at, carrier)
        else:
            return None
        return self._shipping_status(ordered)

    def _shipping_status(self, ordered_lines: LinesLike) -> OrderStatus:
        ordered = _summed((ordered_lines,))
        if covers(self._delivered_counts(), ordered):
            return OrderStatus.DELIVERED
        if covers(self._dispatched_counts(), ordered):
            return OrderStatus.SHIPPED
        return OrderStatus.PARTIALLY_SHIPPED

    def _shipment(self, shipment_id: str, occurred_at: datetime, carrier: str | None) -> ShipmentSummary:
        known = self.shipments.get(shipment_id)
        if known is None:
            known = ShipmentSummary(shipment_id=shipment_id, status="dispatched", status_at=occurred_at)
        if carrier and not known.carrier:
            known = replace(known, carrier=carrier)
        return known

    def _dispatched(self, shipment_id, occurred_at, lines, carrier, tracking_number) -> None:
        shipment = self._shipment(shipment_id, occurred_at, carrier)
        dispatched = as_lines(sku_counts(lines))
        self.shipments[shipment_id] = replace(
            shipment,
            dispatched_lines=dispatched,
            dispatched_at=occurred_at,
            tracking_number=tracking_number or shipment.tracking_number,
            # a delivery reported before its dispatch, without lines, delivered what was sent
            delivered_lines=shipment.delivered_lines or (dispatched if shipment.status == "delivered" else ()),
        )

    def _delivered(self, shipment_id, occurred_at, lines, carrier, condition) -> None:
        shipment = self._shipment(shipment_id, occurred_at, carrier)
        delivered = as_lines(sku_counts(lines)) or shipment.dispatched_lines
        self.shipments[shipment_id] = replace(
            shipment,
            status="delivered",
            status_at=occurred_at,
            delivered_lines=delivered,
            delivered_at=occurred_at,
            condition=condition,
        )

    def _scanned(self, shipment_id, scan, occurred_at, carrier) -> None:
        shipment = self._shipment(shipment_id, occurred_at, carrier)
        # A delivered shipment stays delivered; otherwise the latest scan by event time wins.
        if shipment.status != "delivered" and occurred_at >= shipment.status_at:
            shipment = replace(shipment, status=scan, status_at=occurred_at)
        self.shipments[shipment_id] = shipment
