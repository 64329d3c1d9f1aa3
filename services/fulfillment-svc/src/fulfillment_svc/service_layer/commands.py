"""Commands: what a caller asks fulfillment-svc to do, already parsed into domain values.

Entrypoints build them from requests; handlers carry them out. Times are aware; an absent
`occurred_at` means "now".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fulfillment_svc.domain.documents import Document
from fulfillment_svc.domain.scans import CarrierScan, UnreadableScan
from fulfillment_svc.domain.values import SkuQuantity


@dataclass(frozen=True)
class SetStock:
    warehouse_id: str
    sku: str
    on_hand: int


@dataclass(frozen=True)
class PackShipment:
    fulfillment_id: str
    lines: tuple[SkuQuantity, ...]
    documents: tuple[Document, ...]
    shipment_id: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class DispatchShipment:
    fulfillment_id: str
    shipment_id: str
    carrier: str
    tracking_number: str
    eta: datetime | None = None
    shipping_cost: Decimal | None = None
    override: bool = False
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class CloseFulfillment:
    fulfillment_id: str
    reason: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class RecordCarrierScans:
    carrier: str
    scans: tuple[CarrierScan | UnreadableScan, ...]  # in the order sent


@dataclass(frozen=True)
class RecordLaborShift:
    warehouse_id: str
    shift_id: str
    start: datetime
    end: datetime
    staff: int
    hourly_cost: Decimal


@dataclass(frozen=True)
class ReceiveReturn:
    return_id: str
    order_id: str | None  # learnt from return.requested; a caller may still name it (older clients)
    lines: tuple[SkuQuantity, ...]
    condition: str
    occurred_at: datetime | None = None
