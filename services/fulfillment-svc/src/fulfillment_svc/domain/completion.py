"""When a fulfillment is complete, and what `fulfillment.completed` says about it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fulfillment_svc.domain.events import FulfillmentCompleted
from fulfillment_svc.domain.values import sku_quantities

if TYPE_CHECKING:
    from fulfillment_svc.domain.fulfillment import Fulfillment


def completion_of(fulfillment: Fulfillment) -> FulfillmentCompleted | None:
    """The completion event if the fulfillment is complete now and was not before, else None.

    Complete when every requested unit is delivered, across all shipments; or, once the
    warehouse has closed it, when no shipment is still with the carrier (delivered or reported
    lost) — then it is closed short if any requested unit was never delivered. `delivered_at`
    is the latest delivery; a fulfillment closed with nothing delivered uses the close time.
    A cancelled fulfillment never completes (cancelled orders leave the delivery KPIs).
    """
    if fulfillment.is_cancelled or fulfillment.is_completed:
        return None
    requested = fulfillment.requested
    delivered = fulfillment.delivered
    everything_delivered = all(delivered.get(sku, 0) >= quantity for sku, quantity in requested.items())
    closing_at = fulfillment.close_requested_at
    still_waiting = closing_at is None or any(s.is_in_flight for s in fulfillment.shipments)
    if not everything_delivered and still_waiting:
        return None
    sent = [s for s in fulfillment.shipments if s.is_dispatched]
    delivery_times = [s.delivered_at for s in sent if s.delivered_at is not None]
    delivered_at = max(delivery_times) if delivery_times else closing_at
    assert delivered_at is not None
    occurred_at = max(delivered_at, closing_at) if closing_at is not None else delivered_at
    return FulfillmentCompleted(
        occurred_at=occurred_at,
        order_id=fulfillment.order_id,
        shipments=len(sent),
        delivered_at=delivered_at,
        lines_requested=sku_quantities(requested),
        lines_delivered=sku_quantities({sku: min(delivered.get(sku, 0), q) for sku, q in requested.items()}),
        closed_short=not everything_delivered,
    )
