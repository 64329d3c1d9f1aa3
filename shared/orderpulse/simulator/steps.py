"""The steps an order's story is made of. Each has its event time `at` (UTC); a story's steps are
in strictly increasing time. What a step carries is the intent; the runner resolves it against
what the services answer (which fulfillment, what is reserved)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True)
class Step:
    at: datetime

    @property
    def name(self) -> str:
        return type(self).__name__


@dataclass(frozen=True, kw_only=True)
class PlaceOrder(Step):
    pass


@dataclass(frozen=True, kw_only=True)
class CorrectOrder(Step):
    field: str  # "lines" (price mistake) | "ship_to" (address mistake)


@dataclass(frozen=True, kw_only=True)
class PaymentCallback(Step):
    status: str  # authorized | failed


@dataclass(frozen=True, kw_only=True)
class CancelOrder(Step):
    reason: str


@dataclass(frozen=True, kw_only=True)
class PackShipment(Step):
    shipment: int  # 1 = first parcel, 2 = the backordered rest
    documents: str = "correct"  # or an error: slip_quantity | invoice_missing_line | total_wrong | missing_documents
    short_pick: bool = False  # one unit fewer than reserved goes in
    repack: bool = False  # pack the same parcel again, with correct documents


@dataclass(frozen=True, kw_only=True)
class DispatchShipment(Step):
    shipment: int
    carrier: str
    eta: datetime
    override: bool = False


@dataclass(frozen=True, kw_only=True)
class Restock(Step):
    sku: str  # the scarce sku the order waits for: counted in again (fills the oldest backorders)


@dataclass(frozen=True, kw_only=True)
class CloseShort(Step):
    reason: str


@dataclass(frozen=True, kw_only=True)
class CarrierScan(Step):
    shipment: int
    carrier: str
    status: str  # in_transit | out_for_delivery | delayed | delivery_failed | exception | delivered
    location: str | None = None
    eta: datetime | None = None
    reason: str | None = None
    condition: str | None = None  # delivered: intact | damaged


@dataclass(frozen=True, kw_only=True)
class RequestReturn(Step):
    reason: str  # damaged | wrong_item | missing_item | not_as_described | changed_mind
    kind: str  # refund | exchange


@dataclass(frozen=True, kw_only=True)
class ReceiveReturn(Step):
    condition: str  # intact | damaged


@dataclass(frozen=True, kw_only=True)
class AnswerSurvey(Step):
    csat: int  # 1-5
    nps: int | None = None
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class OpenIssue(Step):
    number: int  # the story's n-th issue
    category: str  # damaged | late | billing
    channel: str  # how the customer reached support: email | phone | chat


@dataclass(frozen=True, kw_only=True)
class AcknowledgeIssue(Step):
    number: int


@dataclass(frozen=True, kw_only=True)
class ResolveIssue(Step):
    number: int
    resolution: str
