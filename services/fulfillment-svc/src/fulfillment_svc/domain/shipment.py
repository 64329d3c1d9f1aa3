"""A shipment: one package of a fulfillment, from packing to delivery. An immutable value;
the fulfillment replaces it as it moves on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fulfillment_svc.domain.documents import Discrepancy, Document
from fulfillment_svc.domain.values import SkuQuantity, quantities_by_sku

PACKED = "packed"
DISPATCHED = "dispatched"
IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
CANCELLED = "cancelled"

PROGRESS_RANK = {DISPATCHED: 0, IN_TRANSIT: 1, OUT_FOR_DELIVERY: 2, DELIVERED: 3}


@dataclass(frozen=True, slots=True)
class RecordedScan:
    """A carrier scan the shipment has accepted; `applied` is False when it was only recorded."""

    event_id: str
    status: str
    occurred_at: datetime
    applied: bool
    eta: datetime | None = None
    reason: str | None = None

    @property
    def reports_lost(self) -> bool:
        return self.status == "exception" and self.reason == "lost"


@dataclass(frozen=True, slots=True)
class Shipment:
    shipment_id: str
    fulfillment_id: str
    order_id: str
    lines: tuple[SkuQuantity, ...]
    documents: tuple[Document, ...]
    document_discrepancies: tuple[Discrepancy, ...]
    packed_at: datetime
    status: str = PACKED
    carrier: str | None = None
    tracking_number: str | None = None
    dispatched_at: datetime | None = None
    dispatched_with_override: bool = False
    shipping_cost: Decimal | None = None
    dispatch_eta: datetime | None = None
    delivered_lines: tuple[SkuQuantity, ...] = ()
    condition: str | None = None
    delivered_at: datetime | None = None
    scans: tuple[RecordedScan, ...] = ()

    @property
    def is_packed(self) -> bool:
        """Packed and waiting for dispatch."""
        return self.status == PACKED

    @property
    def is_dispatched(self) -> bool:
        """Left the warehouse (whatever the carrier has said since)."""
        return self.status in PROGRESS_RANK

    @property
    def is_delivered(self) -> bool:
        return self.status == DELIVERED

    @property
    def is_in_flight(self) -> bool:
        """With the carrier and still expected somewhere: not delivered and not reported lost."""
        return self.is_dispatched and not self.is_delivered and self.lost_at is None

    @property
    def last_scan_at(self) -> datetime | None:
        return max((scan.occurred_at for scan in self.scans), default=None)

    @property
    def eta(self) -> datetime | None:
        """Best estimate of arrival: the delivery time once delivered, else the eta of the latest
        scan (by event time) that carried one, else the eta given at dispatch."""
        if self.delivered_at is not None:
            return self.delivered_at
        with_eta = [scan for scan in self.scans if scan.eta is not None]
        if not with_eta:
            return self.dispatch_eta
        return max(with_eta, key=_event_order).eta

    @property
    def lost_at(self) -> datetime | None:
        """When the carrier reported the package lost, unless a later scan (or a delivery) found it."""
        if self.is_delivered or not self.scans:
            return None
        latest = max(self.scans, key=_event_order)
        return latest.occurred_at if latest.reports_lost else None

    @property
    def rank(self) -> int:
        return PROGRESS_RANK.get(self.status, -1)

    @property
    def has_discrepancies(self) -> bool:
        return bool(self.document_discrepancies)

    @property
    def quantities(self) -> dict[str, int]:
        return quantities_by_sku(self.lines)

    @property
    def delivered_quantities(self) -> dict[str, int]:
        return quantities_by_sku(self.delivered_lines)

    @property
    def scan_ids(self) -> frozenset[str]:
        return frozenset(scan.event_id for scan in self.scans)


def _event_order(scan: RecordedScan) -> tuple[datetime, str]:
    """Event time, then event id: the same winner whatever order the scans arrived in."""
    return (scan.occurred_at, scan.event_id)
