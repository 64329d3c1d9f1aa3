"""Dispatch: what must hold before a packed shipment leaves with a carrier, and what it becomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from fulfillment_svc.domain.errors import (
    AlreadyDispatched,
    DispatchBlockedByDiscrepancies,
    InvalidInput,
    NotPacked,
    TrackingNumberInUse,
)
from fulfillment_svc.domain.events import ShipmentDispatched
from fulfillment_svc.domain.shipment import DISPATCHED, Shipment
from fulfillment_svc.domain.values import OrderLine, parse_text, require_aware


def check_dispatch(
    packed: Shipment,
    *,
    carrier: str,
    tracking_number: str,
    occurred_at: datetime,
    eta: datetime | None,
    shipping_cost: Decimal | None,
    override: bool,
    tracking_in_use: bool,
) -> None:
    """Refuse a dispatch that is malformed, of a shipment not waiting to go, or of a package
    whose documents disagree with it (unless the warehouse overrides)."""
    require_aware(occurred_at, field="occurred_at")
    parse_text(carrier, field="carrier")
    parse_text(tracking_number, field="tracking_number")
    if eta is None:  # the catalog requires it; the service estimates one when the warehouse gives none
        raise InvalidInput("eta is required: shipment.dispatched always carries an expected delivery", field="eta")
    require_aware(eta, field="eta")
    if shipping_cost is not None and (not isinstance(shipping_cost, Decimal) or shipping_cost < 0):
        raise InvalidInput("shipping_cost must be a decimal amount of at least 0", field="shipping_cost")
    if packed.is_dispatched:
        raise AlreadyDispatched(f"shipment {packed.shipment_id} was already dispatched", field="shipment_id")
    if not packed.is_packed:
        raise NotPacked(f"shipment {packed.shipment_id} is {packed.status}, not packed", field="shipment_id")
    if packed.has_discrepancies and not override:
        raise DispatchBlockedByDiscrepancies(
            f"shipment {packed.shipment_id} has {len(packed.document_discrepancies)} document discrepancies; "
            "pack it again with corrected documents, or dispatch with override",
            packed.document_discrepancies,
        )
    if tracking_in_use:
        raise TrackingNumberInUse(
            f"{carrier} {tracking_number} already tracks another shipment", field="tracking_number"
        )


def dispatched_shipment(
    packed: Shipment,
    *,
    warehouse_id: str,
    promised_by: datetime,
    order_lines: tuple[OrderLine, ...],
    carrier: str,
    tracking_number: str,
    occurred_at: datetime,
    eta: datetime,
    shipping_cost: Decimal | None,
    override: bool,
) -> tuple[Shipment, ShipmentDispatched]:
    """The shipment handed to the carrier and its `shipment.dispatched` event; `order_lines` are
    the packed units matched to the order's lines (ids and unit prices)."""
    shipment = replace(
        packed,
        status=DISPATCHED,
        carrier=carrier,
        tracking_number=tracking_number,
        dispatched_at=occurred_at,
        dispatched_with_override=override and packed.has_discrepancies,
        shipping_cost=shipping_cost,
        dispatch_eta=eta,
    )
    event = ShipmentDispatched(
        occurred_at=occurred_at,
        shipment_id=packed.shipment_id,
        order_id=packed.order_id,
        warehouse_id=warehouse_id,
        carrier=carrier,
        tracking_number=tracking_number,
        lines=order_lines,
        promised_by=promised_by,
        eta=eta,
        shipping_cost=shipping_cost,
    )
    return shipment, event
