"""Response shapes (for OpenAPI and for clients): what each route answers with."""

from __future__ import annotations

from typing import Any, Literal

from orderpulse.http.problem_docs import ProblemDetails
from pydantic import BaseModel, Field

__all__ = ["ProblemDetails"]  # every error of this API (the platform's shape)


class SkuQuantityOut(BaseModel):
    sku: str
    quantity: int


class OrderLineOut(BaseModel):
    line_id: str
    sku: str
    quantity: int
    unit_price: str


class StockLevel(BaseModel):
    warehouse_id: str
    sku: str
    on_hand: int
    reserved: int = Field(description="held for confirmed orders, not yet dispatched")
    available: int = Field(description="on_hand - reserved; never below zero")


class BackorderFill(BaseModel):
    fulfillment_id: str
    sku: str
    quantity: int


class ShrinkageBackorder(BaseModel):
    fulfillment_id: str
    order_id: str
    sku: str
    quantity: int


class StockUpdated(StockLevel):
    backorders_filled: list[BackorderFill] = Field(description="backorders that took the units made available")
    backordered: list[ShrinkageBackorder] = Field(
        default=[], description="a count below what was reserved: reservations backordered again, youngest orders first"
    )


class StockPage(BaseModel):
    items: list[StockLevel]
    next_cursor: str | None = None


class DocumentDiscrepancyOut(BaseModel):
    kind: str = Field(description="missing_documents | missing_line | unexpected_line | quantity_mismatch | total_mismatch")
    detail: str


class DocumentRefOut(BaseModel):
    kind: str
    ref: str


class ShipmentOut(BaseModel):
    shipment_id: str
    status: str = Field(description="packed | dispatched | in_transit | out_for_delivery | delivered | cancelled")
    lines: list[SkuQuantityOut]
    documents: list[DocumentRefOut]
    document_discrepancies: list[DocumentDiscrepancyOut]
    packed_at: str
    carrier: str | None
    tracking_number: str | None
    dispatched_at: str | None
    dispatched_with_override: bool
    eta: str | None
    delivered_at: str | None
    condition: str | None


class FulfillmentOut(BaseModel):
    fulfillment_id: str
    order_id: str
    warehouse_id: str
    status: str = Field(
        description="open | packing | partially_dispatched | dispatched | completed | closed_short | cancelled"
    )
    lines: list[OrderLineOut]
    ship_deadline: str
    promised_by: str
    service_level: str
    ship_to: dict[str, Any]
    reserved: list[SkuQuantityOut]
    backordered: list[SkuQuantityOut]
    shipments: list[ShipmentOut]
    created_at: str
    closed_reason: str | None
    completed_at: str | None


class FulfillmentPage(BaseModel):
    items: list[FulfillmentOut]
    next_cursor: str | None = None


class PackResult(BaseModel):
    fulfillment_id: str
    fulfillment_status: str
    shipment_id: str
    lines: list[SkuQuantityOut]
    document_discrepancies: list[DocumentDiscrepancyOut]
    dispatch_requires_override: bool = Field(description="true when the discrepancies block dispatch without override")


class DispatchResult(ShipmentOut):
    fulfillment_id: str
    fulfillment_status: str


class ScanResult(BaseModel):
    event_id: str | None = Field(description="as sent; null when the item had no usable event_id")
    outcome: Literal["accepted", "duplicate", "rejected"]
    code: str | None = Field(default=None, description="stable machine code, e.g. unknown_tracking_number")
    reason: str | None = None


class ScanResults(BaseModel):
    results: list[ScanResult] = Field(description="one per event, in the order sent")


class LaborShiftOut(BaseModel):
    warehouse_id: str
    shift_id: str
    start: str
    end: str
    staff: int
    hourly_cost: str


class ReturnReceipt(BaseModel):
    return_id: str
    order_id: str
    fulfillment_id: str
    condition: str
    lines: list[SkuQuantityOut]
    restocked: list[SkuQuantityOut] = Field(description="units put back on the shelf (intact returns)")
    occurred_at: str
