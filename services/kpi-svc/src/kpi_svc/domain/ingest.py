"""The handler table: event type -> the function that records its facts (see ingest_common)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .facts import IX_ACK, IX_ACK_ID, IX_RESOLVED, IX_RESOLVED_ID, OrderFacts
from .ingest_common import on_nothing, on_status_only
from .ingest_feedback import (
    issue_step,
    on_feedback_received,
    on_issue_opened,
    on_issue_sla_breached,
    on_notification_sent,
)
from .ingest_fulfillment import (
    on_dispatched,
    on_fulfillment_completed,
    on_fulfillment_created,
    on_packed,
    on_shipment_delivered,
    on_shipment_exception,
)
from .ingest_orders import (
    on_order_cancelled,
    on_order_confirmed,
    on_order_corrected,
    on_order_held,
    on_order_invoiced,
    on_order_placed,
    on_return_requested,
)

P = "orderpulse."

Handler = Callable[[OrderFacts, dict, dict, int, Any], int]

HANDLERS: dict[str, Handler] = {
    P + "order.placed.v1": on_order_placed,
    P + "order.held.v1": on_order_held,
    P + "order.corrected.v1": on_order_corrected,
    P + "order.released.v1": on_nothing,
    P + "order.payment_authorized.v1": on_nothing,
    P + "order.payment_failed.v1": on_status_only,
    P + "order.confirmed.v1": on_order_confirmed,
    P + "order.invoiced.v1": on_order_invoiced,
    P + "order.cancelled.v1": on_order_cancelled,
    P + "return.requested.v1": on_return_requested,
    P + "fulfillment.created.v1": on_fulfillment_created,
    P + "inventory.backordered.v1": on_nothing,
    P + "fulfillment.packed.v1": on_packed,
    P + "shipment.dispatched.v1": on_dispatched,
    P + "shipment.in_transit.v1": on_nothing,
    P + "shipment.out_for_delivery.v1": on_status_only,
    P + "shipment.delayed.v1": on_status_only,
    P + "shipment.delivery_failed.v1": on_status_only,
    P + "shipment.exception.v1": on_shipment_exception,
    P + "shipment.delivered.v1": on_shipment_delivered,
    P + "fulfillment.completed.v1": on_fulfillment_completed,
    P + "return.received.v1": on_status_only,
    P + "notification.sent.v1": on_notification_sent,
    P + "notification.failed.v1": on_nothing,
    P + "notification.suppressed.v1": on_nothing,
    P + "courtesy_call.scheduled.v1": on_nothing,
    P + "courtesy_call.completed.v1": on_nothing,
    P + "survey.requested.v1": on_nothing,
    P + "feedback.received.v1": on_feedback_received,
    P + "issue.opened.v1": on_issue_opened,
    P + "issue.acknowledged.v1": issue_step(IX_ACK, IX_ACK_ID),
    P + "issue.resolved.v1": issue_step(IX_RESOLVED, IX_RESOLVED_ID),
    P + "issue.sla_breached.v1": on_issue_sla_breached,
}

# Keyed by warehouse, not by order: handled by the engine on its own (see shifts.py).
# customer.upserted.v1 is keyed by customer: no KPI reads it, it is ignored like unknown types.
SHIFT_TYPE = P + "labor.shift_recorded.v1"
