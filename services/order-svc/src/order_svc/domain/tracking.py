"""What a customer's tracking page tells: the order's milestones and its parcels, read from the
order's timeline (every lifecycle event, from every service, in event-time order).

Only facts a customer should hear about become milestones (the notify milestones of events.md,
plus placing, release and returns); internal ones (invoices, packing, notifications, feedback)
are left out, and so are addresses, names and free-text reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from .status import fact_kind

MILESTONES = {
    "order.placed": "order_placed",
    "order.held": "order_held",
    "order.released": "order_released",
    "order.payment_failed": "payment_failed",
    "order.confirmed": "order_confirmed",
    "order.cancelled": "cancelled",
    "shipment.dispatched": "shipped",
    "shipment.out_for_delivery": "out_for_delivery",
    "shipment.delayed": "delayed",
    "shipment.delivery_failed": "delivery_failed",
    "shipment.exception": "parcel_problem",
    "shipment.delivered": "delivered",
    "return.requested": "return_requested",
    "return.received": "return_received",
}
PARCEL_SCANS = {
    "shipment.dispatched": "shipped",
    "shipment.in_transit": "in_transit",
    "shipment.out_for_delivery": "out_for_delivery",
    "shipment.delayed": "delayed",
    "shipment.delivery_failed": "delivery_failed",
    "shipment.exception": "parcel_problem",
    "shipment.delivered": "delivered",
}
_ETA_FIELDS = ("new_eta", "eta")


class TimelineFact(Protocol):
    type: str
    occurred_at: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Milestone:
    """One step a customer hears about; parcel steps name their parcel (numbered in dispatch order)."""

    name: str
    occurred_at: datetime
    parcel: int | None = None
    eta: datetime | None = None
    next_attempt: datetime | None = None
    hold_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Parcel:
    number: int
    shipment_id: str
    status: str
    updated_at: datetime
    carrier: str | None = None
    tracking_number: str | None = None
    eta: datetime | None = None
    delivered_at: datetime | None = None
    lines: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class OrderTracking:
    """The page's content: newest milestone first, parcels in dispatch order."""

    order_id: str
    status: str
    placed_at: datetime
    promised_by: datetime
    milestones: tuple[Milestone, ...]
    parcels: tuple[Parcel, ...]
    locale: str = "en"
    timezone: str = "UTC"

    @property
    def latest(self) -> Milestone | None:
        return self.milestones[0] if self.milestones else None

    @property
    def expected_by(self) -> datetime:
        """The carriers' latest estimate for the parcels still on their way, else the promise."""
        estimates = [parcel.eta for parcel in self.parcels if parcel.eta is not None and parcel.delivered_at is None]
        return max(estimates) if estimates else self.promised_by


@dataclass
class _ParcelTrack:
    parcels: dict[str, Parcel] = field(default_factory=dict)

    def number_of(self, shipment_id: str, at: datetime) -> int:
        if shipment_id not in self.parcels:
            self.parcels[shipment_id] = Parcel(len(self.parcels) + 1, shipment_id, "shipped", at)
        return self.parcels[shipment_id].number

    def scan(self, kind: str, shipment_id: str, at: datetime, data: Mapping[str, Any]) -> None:
        self.number_of(shipment_id, at)
        parcel = self.parcels[shipment_id]
        changes: dict[str, Any] = {}
        if parcel.status != "delivered" and at >= parcel.updated_at:
            changes.update(status=PARCEL_SCANS[kind], updated_at=at)
        if kind == "shipment.dispatched":
            changes.update(lines=_lines(data.get("lines")))
        if kind == "shipment.delivered":
            changes.update(status="delivered", updated_at=at, delivered_at=at, eta=None)
        for name in ("carrier", "tracking_number"):
            if isinstance(data.get(name), str) and data[name]:
                changes[name] = data[name]
        eta = _eta(data)
        if eta is not None and parcel.delivered_at is None and kind != "shipment.delivered":
            changes["eta"] = eta
        self.parcels[shipment_id] = replace(parcel, **changes)


def order_tracking(
    *,
    order_id: str,
    status: str,
    placed_at: datetime,
    promised_by: datetime,
    facts: Iterable[TimelineFact],
    locale: str = "en",
    timezone: str = "UTC",
) -> OrderTracking:
    """The tracking page of an order from its timeline facts (in event-time order)."""
    milestones: list[Milestone] = []
    track = _ParcelTrack()
    for fact in sorted(facts, key=lambda each: each.occurred_at):
        kind = fact_kind(fact.type)
        data = fact.data
        shipment_id = data.get("shipment_id") if isinstance(data.get("shipment_id"), str) else None
        if kind in PARCEL_SCANS and shipment_id:
            track.scan(kind, shipment_id, fact.occurred_at, data)
        name = MILESTONES.get(kind)
        if name is None:
            continue
        milestones.append(
            Milestone(
                name=name,
                occurred_at=fact.occurred_at,
                parcel=track.number_of(shipment_id, fact.occurred_at) if shipment_id else None,
                eta=_eta(data) if kind != "shipment.delivered" else None,
                next_attempt=_time(data.get("next_attempt")),
                hold_codes=_hold_codes(data) if kind == "order.held" else (),
            )
        )
    return OrderTracking(
        order_id=order_id,
        status=status,
        placed_at=placed_at,
        promised_by=promised_by,
        milestones=tuple(reversed(milestones)),
        parcels=tuple(sorted(track.parcels.values(), key=lambda parcel: parcel.number)),
        locale=locale,
        timezone=timezone,
    )


def _eta(data: Mapping[str, Any]) -> datetime | None:
    for name in _ETA_FIELDS:
        moment = _time(data.get(name))
        if moment is not None:
            return moment
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _lines(value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        (line["sku"], int(line["quantity"]))
        for line in value
        if isinstance(line, Mapping) and isinstance(line.get("sku"), str) and isinstance(line.get("quantity"), int)
    )


def _hold_codes(data: Mapping[str, Any]) -> tuple[str, ...]:
    found = data.get("discrepancies")
    if not isinstance(found, list):
        return ()
    codes = (item.get("code") for item in found if isinstance(item, Mapping))
    return tuple(dict.fromkeys(code for code in codes if isinstance(code, str)))
