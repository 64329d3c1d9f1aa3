"""One valid `data` sample per event type, keyed by full type string."""

from __future__ import annotations

from typing import Any

ORDER = "ord_01JD4S7K2M"
CUSTOMER = "cus_01JD4S6Y1B"
SHIPMENT = "shp_01JD4T0A9Q"
WHEN = "2026-11-20T14:03:11.512Z"
LATER = "2026-11-22T18:00:00Z"

LINE = {"line_id": "l1", "sku": "SKU-RED-MUG", "quantity": 2, "unit_price": "12.50"}
SKU_QTY = {"sku": "SKU-RED-MUG", "quantity": 2}
ADDRESS = {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"}
DISCREPANCY = {"code": "price_mismatch", "field": "lines[0].unit_price", "detail": "12.00 != 12.50"}
SHIPMENT_BASE = {"shipment_id": SHIPMENT, "order_id": ORDER, "carrier": "dhl"}

SAMPLES: dict[str, dict[str, Any]] = {
    "orderpulse.customer.upserted.v1": {
        "customer_id": CUSTOMER,
        "tier": "vip",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+49 30 1234567",
        "locale": "de-DE",
        "timezone": "Europe/Berlin",
        "account_manager": "am_jane",
    },
    "orderpulse.order.placed.v1": {
        "order_id": ORDER,
        "customer_id": CUSTOMER,
        "customer_tier": "standard",
        "channel": "web",
        "lines": [LINE],
        "currency": "EUR",
        "total": "25.00",
        "ship_to": {**ADDRESS, "line1": "Invalidenstr. 1"},
        "service_level": "express",
        "promised_by": LATER,
        "requested_at": WHEN,
        "entry_discrepancies": [],
    },
    "orderpulse.order.held.v1": {"order_id": ORDER, "discrepancies": [DISCREPANCY]},
    "orderpulse.order.corrected.v1": {
        "order_id": ORDER,
        "corrections": [
            {"field": "ship_to.postal_code", "old": "10114", "new": "10115", "reason": "typo"}
        ],
    },
    "orderpulse.order.released.v1": {"order_id": ORDER},
    "orderpulse.order.payment_authorized.v1": {
        "order_id": ORDER,
        "amount": "25.00",
        "currency": "EUR",
        "reference": "psp_123",
    },
    "orderpulse.order.payment_failed.v1": {"order_id": ORDER, "reason": "card declined"},
    "orderpulse.order.confirmed.v1": {
        "order_id": ORDER,
        "lines": [LINE],
        "ship_to": ADDRESS,
        "service_level": "standard",
        "promised_by": LATER,
        "placed_at": WHEN,
    },
    "orderpulse.order.invoiced.v1": {
        "order_id": ORDER,
        "invoice_id": "inv_1",
        "lines": [LINE],
        "subtotal": "25.00",
        "tax": "4.75",
        "total": "29.75",
        "currency": "EUR",
    },
    "orderpulse.order.cancelled.v1": {
        "order_id": ORDER,
        "reason": "customer request",
        "cancelled_by": "customer",
    },
    "orderpulse.return.requested.v1": {
        "order_id": ORDER,
        "return_id": "ret_1",
        "lines": [SKU_QTY],
        "reason": "damaged",
        "kind": "refund",
    },
    "orderpulse.fulfillment.created.v1": {
        "fulfillment_id": "ful_1",
        "order_id": ORDER,
        "warehouse_id": "wh_berlin",
        "lines": [LINE],
    },
    "orderpulse.inventory.backordered.v1": {
        "order_id": ORDER,
        "warehouse_id": "wh_berlin",
        "sku": "SKU-RED-MUG",
        "quantity_short": 1,
        "expected_at": LATER,
    },
    "orderpulse.inventory.adjusted.v1": {
        "warehouse_id": "wh_berlin",
        "sku": "SKU-RED-MUG",
        "on_hand_before": 12,
        "on_hand_after": 10,
        "reason": "shrinkage",
    },
    "orderpulse.fulfillment.packed.v1": {
        "fulfillment_id": "ful_1",
        "shipment_id": SHIPMENT,
        "order_id": ORDER,
        "lines": [SKU_QTY],
        "documents": [{"kind": "invoice", "ref": "inv_1"}, {"kind": "packing_slip", "ref": "ps_1"}],
        "document_discrepancies": [{"kind": "customs", "detail": "declaration missing"}],
    },
    "orderpulse.shipment.dispatched.v1": {
        **SHIPMENT_BASE,
        "warehouse_id": "wh_berlin",
        "tracking_number": "JD0000001",
        "lines": [LINE],
        "promised_by": LATER,
        "eta": LATER,
        "shipping_cost": "4.90",
    },
    "orderpulse.shipment.in_transit.v1": {**SHIPMENT_BASE, "location": "Leipzig hub", "eta": LATER},
    "orderpulse.shipment.out_for_delivery.v1": {**SHIPMENT_BASE, "eta": LATER},
    "orderpulse.shipment.delayed.v1": {**SHIPMENT_BASE, "reason": "weather", "new_eta": LATER},
    "orderpulse.shipment.delivery_failed.v1": {
        **SHIPMENT_BASE,
        "reason": "nobody home",
        "next_attempt": LATER,
    },
    "orderpulse.shipment.exception.v1": {**SHIPMENT_BASE, "reason": "lost"},
    "orderpulse.shipment.delivered.v1": {
        **SHIPMENT_BASE,
        "condition": "intact",
        "lines": [SKU_QTY],
        "proof": "signature:ADA",
    },
    "orderpulse.fulfillment.completed.v1": {
        "order_id": ORDER,
        "shipments": 1,
        "delivered_at": LATER,
        "lines_requested": [SKU_QTY],
        "lines_delivered": [SKU_QTY],
        "closed_short": False,
    },
    "orderpulse.return.received.v1": {
        "order_id": ORDER,
        "return_id": "ret_1",
        "lines": [LINE],
        "condition": "damaged",
    },
    "orderpulse.labor.shift_recorded.v1": {
        "warehouse_id": "wh_berlin",
        "shift_id": "shift_2026-11-20_early",
        "start": "2026-11-20T06:00:00Z",
        "end": "2026-11-20T14:00:00Z",
        "staff": 14,
        "hourly_cost": "31.20",
    },
    "orderpulse.notification.sent.v1": {
        "notification_id": "ntf_1",
        "order_id": ORDER,
        "customer_id": CUSTOMER,
        "milestone": "shipped",
        "channel": "email",
        "trigger_event_id": "5f0c7c1e-3b0e-4d0e-9a57-1c2f0c4c9b11",
        "trigger_time": WHEN,
        "sent_at": "2026-11-20T14:03:12.002Z",
        "unit_cost": "0.0008",
    },
    "orderpulse.notification.failed.v1": {
        "notification_id": "ntf_2",
        "order_id": ORDER,
        "milestone": "delayed",
        "channel": "sms",
        "error": "gateway timeout",
        "attempts": 3,
        "final": True,
    },
    "orderpulse.notification.suppressed.v1": {
        "order_id": ORDER,
        "milestone": "out_for_delivery",
        "reason": "superseded",
    },
    "orderpulse.courtesy_call.scheduled.v1": {
        "call_id": "call_1",
        "order_id": ORDER,
        "customer_id": CUSTOMER,
        "milestone": "delayed",
        "account_manager": "am_jane",
        "due_by": LATER,
    },
    "orderpulse.courtesy_call.completed.v1": {
        "call_id": "call_1",
        "order_id": ORDER,
        "outcome": "voicemail",
        "completed_at": LATER,
    },
    "orderpulse.survey.requested.v1": {
        "survey_id": "srv_1",
        "order_id": ORDER,
        "customer_id": CUSTOMER,
        "survey_url": "https://feedback.example/s/srv_1",
        "expires_at": LATER,
    },
    "orderpulse.feedback.received.v1": {
        "survey_id": "srv_1",
        "order_id": ORDER,
        "customer_id": CUSTOMER,
        "csat": 4,
        "nps": 9,
        "aspects": {"accuracy": 5, "timeliness": 3, "communication": 4},
        "comment": "a day late, otherwise fine",
    },
    "orderpulse.issue.opened.v1": {
        "issue_id": "iss_1",
        "order_id": ORDER,
        "customer_id": CUSTOMER,
        "category": "late",
        "ack_due": WHEN,
        "resolve_due": LATER,
    },
    "orderpulse.issue.acknowledged.v1": {"issue_id": "iss_1", "order_id": ORDER, "by": "agent_7"},
    "orderpulse.issue.resolved.v1": {
        "issue_id": "iss_1",
        "order_id": ORDER,
        "resolution": "voucher sent",
        "by": "agent_7",
    },
    "orderpulse.issue.sla_breached.v1": {
        "issue_id": "iss_1",
        "order_id": ORDER,
        "clock": "ack",
        "due": WHEN,
    },
}
