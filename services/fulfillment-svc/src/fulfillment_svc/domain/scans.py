"""Carrier scans: a pure state machine per shipment.

Progress ranks: dispatched < in_transit < out_for_delivery < delivered. `delayed`,
`delivery_failed` and `exception` report problems and never move the rank.

- A progress scan below the current rank, or any progress scan once delivered, is *recorded,
  not applied*: it is kept in the shipment's history (so the eta estimate and last-scan time
  stay right) but the status does not move and no event is emitted.
- A problem scan is applied (its event emitted) unless it happened after the delivery; one
  that happened before the delivery but arrived after it is still reported, because every
  consumer works on event time (a late `damaged_in_transit` must still reach the KPIs).
- The same event id twice is a duplicate: nothing changes.

So any arrival order of the same scans, with duplicates, ends in the same shipment state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from fulfillment_svc.domain.events import (
    DomainEvent,
    ShipmentDelayed,
    ShipmentDelivered,
    ShipmentDeliveryFailed,
    ShipmentExceptionReported,
    ShipmentInTransit,
    ShipmentOutForDelivery,
)
from fulfillment_svc.domain.shipment import (
    DELIVERED,
    IN_TRANSIT,
    OUT_FOR_DELIVERY,
    PROGRESS_RANK,
    RecordedScan,
    Shipment,
)
from fulfillment_svc.domain.values import MAX_EVENT_TIME_AHEAD, SkuQuantity, quantities_by_sku, sku_quantities

DELAYED = "delayed"
DELIVERY_FAILED = "delivery_failed"
EXCEPTION = "exception"
SCAN_STATUSES = (IN_TRANSIT, OUT_FOR_DELIVERY, DELAYED, DELIVERY_FAILED, EXCEPTION, DELIVERED)
PROBLEM_STATUSES = frozenset({DELAYED, DELIVERY_FAILED, EXCEPTION})
EXCEPTION_REASONS = ("lost", "damaged_in_transit", "address_problem", "other")
CONDITIONS = ("intact", "damaged")
UNSPECIFIED_REASON = "unspecified"

DEFAULT_CLOCK_SKEW_ALLOWANCE = timedelta(minutes=15)

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"
RECORDED_NOT_APPLIED = "recorded_not_applied"


@dataclass(frozen=True, slots=True)
class CarrierScan:
    """One item of a carrier's batch (`POST /v1/carriers/{carrier}/events`)."""

    event_id: str
    tracking_number: str
    status: str
    occurred_at: datetime
    location: str | None = None
    eta: datetime | None = None
    reason: str | None = None
    condition: str | None = None
    lines: tuple[SkuQuantity, ...] | None = None


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """The answer for one scan: `outcome` is accepted, duplicate or rejected; `code` is a stable
    machine code (None for a clean accept), `reason` a sentence for people. `shipment` is the
    shipment's state after the scan (unchanged unless accepted)."""

    event_id: str
    outcome: str
    code: str | None = None
    reason: str | None = None
    applied: bool = False
    events: tuple[DomainEvent, ...] = ()
    shipment: Shipment | None = None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event_id": self.event_id, "outcome": self.outcome}
        if self.code is not None:
            data["code"] = self.code
        if self.reason is not None:
            data["reason"] = self.reason
        return data


def apply_scan(
    shipment: Shipment | None,
    carrier: str,
    scan: CarrierScan,
    *,
    clock_skew_allowance: timedelta = DEFAULT_CLOCK_SKEW_ALLOWANCE,
    now: datetime | None = None,
) -> ScanOutcome:
    """Judge one scan against the shipment its tracking number found (None: nothing found).

    A carrier only sees its own shipments: another carrier's tracking number is answered
    exactly like an unknown one, so a carrier cannot probe for other carriers' parcels.
    `now`, when given, refuses scans more than 5 minutes in the future.
    """
    if shipment is None or not _belongs_to(shipment, carrier, scan.tracking_number):
        return _rejected(
            scan,
            shipment=shipment,
            code="unknown_tracking_number",
            reason=f"no shipment of carrier {carrier} has tracking number {scan.tracking_number!r}",
        )
    if not isinstance(scan.event_id, str) or not scan.event_id:
        return _rejected(scan, shipment=shipment, code="missing_event_id", reason="event_id is required")
    if scan.event_id in shipment.scan_ids:
        return ScanOutcome(
            scan.event_id, DUPLICATE, code=DUPLICATE, reason="this event_id was already recorded", shipment=shipment
        )
    problem = _validation_problem(shipment, scan, clock_skew_allowance, now)
    if problem is not None:
        code, reason = problem
        return _rejected(scan, shipment=shipment, code=code, reason=reason)

    why_not = _why_not_applied(shipment, scan)
    recorded = replace(shipment, scans=shipment.scans + (_as_recorded(scan, applied=why_not is None),))
    if why_not is not None:
        return ScanOutcome(
            scan.event_id,
            ACCEPTED,
            code=RECORDED_NOT_APPLIED,
            reason=f"recorded, not applied: {why_not}",
            shipment=recorded,
        )
    updated, event = _apply(recorded, scan)
    return ScanOutcome(scan.event_id, ACCEPTED, applied=True, events=(event,), shipment=updated)


def _belongs_to(shipment: Shipment, carrier: str, tracking_number: str) -> bool:
    return shipment.is_dispatched and shipment.carrier == carrier and shipment.tracking_number == tracking_number


@dataclass(frozen=True, slots=True)
class UnreadableScan:
    """An item of a batch that is not a well-formed scan (e.g. an unknown status, a time in the
    future): it is answered `rejected` with `code` and `reason` and the rest of the batch goes on."""

    event_id: str | None
    code: str
    reason: str

    def outcome(self) -> ScanOutcome:
        return ScanOutcome(self.event_id, REJECTED, code=self.code, reason=self.reason)  # type: ignore[arg-type]


def _rejected(scan: CarrierScan, *, shipment: Shipment | None, code: str, reason: str) -> ScanOutcome:
    return ScanOutcome(str(scan.event_id), REJECTED, code=code, reason=reason, shipment=shipment)


def _is_aware(moment: Any) -> bool:
    return isinstance(moment, datetime) and moment.tzinfo is not None and moment.utcoffset() is not None


def _validation_problem(
    shipment: Shipment, scan: CarrierScan, allowance: timedelta, now: datetime | None
) -> tuple[str, str] | None:
    if scan.status not in SCAN_STATUSES:
        return "unknown_status", f"status must be one of {', '.join(SCAN_STATUSES)}, got {scan.status!r}"
    if not _is_aware(scan.occurred_at):
        return "invalid_occurred_at", "occurred_at must be a timezone-aware time"
    if now is not None and scan.occurred_at > now + MAX_EVENT_TIME_AHEAD:
        return "occurred_in_future", "occurred_at is more than 5 minutes in the future"
    assert shipment.dispatched_at is not None
    if scan.occurred_at < shipment.dispatched_at - allowance:
        return "occurred_before_dispatch", (
            f"occurred_at is before the shipment was dispatched ({shipment.dispatched_at.isoformat()})"
        )
    if scan.eta is not None and not _is_aware(scan.eta):
        return "invalid_eta", "eta must be a timezone-aware time"
    if scan.status == DELAYED and scan.eta is None:
        return "missing_eta", "a delayed scan needs the new eta"
    if scan.status == EXCEPTION and scan.reason not in EXCEPTION_REASONS:
        return "invalid_reason", f"an exception needs a reason among {', '.join(EXCEPTION_REASONS)}"
    if scan.status == DELIVERED:
        if scan.condition not in CONDITIONS:
            return "invalid_condition", f"a delivery needs a condition among {', '.join(CONDITIONS)}"
        return _delivered_lines_problem(shipment, scan.lines)
    return None


def _delivered_lines_problem(shipment: Shipment, lines: tuple[SkuQuantity, ...] | None) -> tuple[str, str] | None:
    if not lines:
        return None
    if any(
        isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity < 1 for line in lines
    ):
        return "invalid_lines", "delivered quantities must be whole numbers of at least 1"
    shipped = shipment.quantities
    for sku, quantity in quantities_by_sku(lines).items():
        if sku not in shipped:
            return "delivered_line_not_shipped", f"{sku} is not in this shipment"
        if quantity > shipped[sku]:
            return "delivered_exceeds_shipped", f"{quantity} × {sku} delivered but {shipped[sku]} shipped"
    return None


def _why_not_applied(shipment: Shipment, scan: CarrierScan) -> str | None:
    if scan.status in PROBLEM_STATUSES:
        if shipment.is_delivered and shipment.delivered_at is not None and scan.occurred_at > shipment.delivered_at:
            return "it happened after the delivery"
        return None
    if shipment.is_delivered:
        return "the shipment was already delivered"
    if PROGRESS_RANK[scan.status] < shipment.rank:
        return f"the shipment is already {shipment.status}"
    return None


def _as_recorded(scan: CarrierScan, *, applied: bool) -> RecordedScan:
    eta = scan.eta if scan.status in (IN_TRANSIT, OUT_FOR_DELIVERY, DELAYED, DELIVERY_FAILED) else None
    return RecordedScan(scan.event_id, scan.status, scan.occurred_at, applied, eta=eta, reason=scan.reason)


def _apply(shipment: Shipment, scan: CarrierScan) -> tuple[Shipment, DomainEvent]:
    common = {
        "occurred_at": scan.occurred_at,
        "shipment_id": shipment.shipment_id,
        "order_id": shipment.order_id,
        "carrier": shipment.carrier,
    }
    if scan.status == IN_TRANSIT:
        return replace(shipment, status=IN_TRANSIT), ShipmentInTransit(**common, location=scan.location, eta=scan.eta)
    if scan.status == OUT_FOR_DELIVERY:
        return replace(shipment, status=OUT_FOR_DELIVERY), ShipmentOutForDelivery(**common, eta=scan.eta)
    if scan.status == DELAYED:
        assert scan.eta is not None
        return shipment, ShipmentDelayed(**common, reason=scan.reason or UNSPECIFIED_REASON, new_eta=scan.eta)
    if scan.status == DELIVERY_FAILED:
        return shipment, ShipmentDeliveryFailed(
            **common, reason=scan.reason or UNSPECIFIED_REASON, next_attempt=scan.eta
        )
    if scan.status == EXCEPTION:
        return shipment, ShipmentExceptionReported(**common, reason=str(scan.reason))
    delivered_lines = sku_quantities(quantities_by_sku(scan.lines)) if scan.lines else shipment.lines
    delivered = replace(
        shipment,
        status=DELIVERED,
        delivered_lines=delivered_lines,
        condition=scan.condition,
        delivered_at=scan.occurred_at,
    )
    return delivered, ShipmentDelivered(**common, condition=str(scan.condition), lines=delivered_lines)
