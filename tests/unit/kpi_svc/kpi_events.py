"""Builders of CloudEvents (already parsed, as plain dicts) for the kpi-svc unit tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

UTC = UTC
# Monday 16 November 2026, 10:00 UTC: ship deadline Wednesday 10:00, standard promise Monday 23rd.
MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
_ids = itertools.count(1)


def iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def next_event_id() -> str:
    """Canonical UUIDs like the producers' (held packed by the engine), and every seventh id in
    another form (held as a string: an order may mix both)."""
    number = next(_ids)
    return f"evt_{number:06d}" if number % 7 == 0 else f"0191e7c4-{number >> 48:04x}-7000-8000-{number:012x}"


def event(etype: str, key: str, time: datetime, data: dict, event_id: str | None = None) -> dict:
    return {
        "specversion": "1.0",
        "id": event_id or next_event_id(),
        "source": "/test",
        "type": f"orderpulse.{etype}",
        "subject": key,
        "time": iso(time),
        "datacontenttype": "application/json",
        "partitionkey": key,
        "data": data,
    }


class OrderStory:
    """The events of one order, in the order they are told; every method returns its event."""

    def __init__(self, order_id: str = "ord_1", placed_at: datetime = MONDAY) -> None:
        self.order_id = order_id
        self.placed_at = placed_at
        self.events: list[dict] = []

    def _add(self, etype: str, time: datetime, data: dict) -> dict:
        made = event(etype, self.order_id, time, {"order_id": self.order_id, **data})
        self.events.append(made)
        return made

    def placed(self, lines=None, promised_by: datetime | None = None, tier="standard", channel="web",
               service_level="standard", requested_at: datetime | None = None, entry_discrepancies=(),
               default_promise=False, at: datetime | None = None) -> dict:
        at = at or self.placed_at
        data = {
            "customer_id": "cus_1", "customer_tier": tier, "channel": channel,
            "lines": lines or [{"line_id": "l1", "sku": "SKU-A", "quantity": 2, "unit_price": "10.00"}],
            "currency": "EUR", "total": "20.00", "service_level": service_level,
            "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"},
            "entry_discrepancies": list(entry_discrepancies),
        }
        if not default_promise:
            data["promised_by"] = iso(promised_by or self.placed_at + timedelta(days=7))
        if requested_at is not None:
            data["requested_at"] = iso(requested_at)
        return self._add("order.placed.v1", at, data)

    def held(self, at: datetime, codes=("invalid_address",)) -> dict:
        discrepancies = [{"code": code, "field": "ship_to", "detail": "x"} for code in codes]
        return self._add("order.held.v1", at, {"discrepancies": discrepancies})

    def corrected(self, at: datetime, lines=None) -> dict:
        corrections = [{"field": "ship_to", "old": {}, "new": {}, "reason": "typo"}]
        if lines is not None:
            corrections = [{"field": "lines", "old": [], "new": lines, "reason": "customer asked"}]
        return self._add("order.corrected.v1", at, {"corrections": corrections})

    def confirmed(self, at: datetime, lines=None, promised_by: datetime | None = None) -> dict:
        data = {"lines": lines or [], "service_level": "standard"}
        if promised_by is not None:
            data["promised_by"] = iso(promised_by)
        return self._add("order.confirmed.v1", at, data)

    def invoiced(self, at: datetime, lines=None) -> dict:
        lines = lines or [{"line_id": "l1", "sku": "SKU-A", "quantity": 2, "unit_price": "10.00"}]
        return self._add("order.invoiced.v1", at, {"invoice_id": "inv_1", "lines": lines, "subtotal": "20.00",
                                                   "tax": "0", "total": "20.00", "currency": "EUR"})

    def cancelled(self, at: datetime) -> dict:
        return self._add("order.cancelled.v1", at, {"reason": "customer", "cancelled_by": "customer"})

    def return_requested(self, at: datetime, reason="damaged") -> dict:
        return self._add("return.requested.v1", at, {"return_id": "ret_1", "lines": [{"sku": "SKU-A", "quantity": 1}],
                                                     "reason": reason, "kind": "refund"})

    def packed(self, at: datetime, shipment="shp_1", discrepancies=(), lines=None) -> dict:
        return self._add("fulfillment.packed.v1", at, {
            "fulfillment_id": "ful_1", "shipment_id": shipment, "lines": lines or [{"sku": "SKU-A", "quantity": 2}],
            "documents": [{"kind": "packing_slip", "ref": "ps1"}],
            "document_discrepancies": [{"kind": kind, "detail": "x"} for kind in discrepancies],
        })

    def dispatched(self, at: datetime, shipment="shp_1", carrier="dhl", warehouse="wh_berlin", lines=None,
                   shipping_cost: str | None = None) -> dict:
        data = {"shipment_id": shipment, "warehouse_id": warehouse, "carrier": carrier, "tracking_number": "T1",
                "lines": lines or [{"sku": "SKU-A", "quantity": 2}], "eta": iso(at + timedelta(days=2))}
        if shipping_cost is not None:
            data["shipping_cost"] = shipping_cost
        return self._add("shipment.dispatched.v1", at, data)

    def scan(self, etype: str, at: datetime, shipment="shp_1", **extra) -> dict:
        return self._add(etype, at, {"shipment_id": shipment, "carrier": "dhl", **extra})

    def shipment_delivered(self, at: datetime, shipment="shp_1", condition="intact", lines=None) -> dict:
        return self._add("shipment.delivered.v1", at, {
            "shipment_id": shipment, "carrier": "dhl", "condition": condition,
            "lines": lines or [{"sku": "SKU-A", "quantity": 2}],
        })

    def completed(self, at: datetime, delivered=None, closed_short=False, shipments=1) -> dict:
        delivered = delivered if delivered is not None else [{"sku": "SKU-A", "quantity": 2}]
        return self._add("fulfillment.completed.v1", at, {
            "shipments": shipments, "delivered_at": iso(at), "lines_requested": [{"sku": "SKU-A", "quantity": 2}],
            "lines_delivered": delivered, "closed_short": closed_short,
        })

    def notification(self, sent_at: datetime, trigger_time: datetime, milestone="shipped", channel="email",
                     notification_id: str | None = None, unit_cost: str | None = None) -> dict:
        data = {"notification_id": notification_id or f"ntf_{next(_ids)}", "customer_id": "cus_1",
                "milestone": milestone, "channel": channel, "trigger_event_id": "evt_x",
                "trigger_time": iso(trigger_time), "sent_at": iso(sent_at)}
        if unit_cost is not None:
            data["unit_cost"] = unit_cost
        return self._add("notification.sent.v1", sent_at, data)

    def suppressed(self, at: datetime, milestone="shipped", reason="superseded") -> dict:
        return self._add("notification.suppressed.v1", at, {"milestone": milestone, "reason": reason})

    def feedback(self, at: datetime, csat: int, survey_id: str = "srv_1") -> dict:
        return self._add("feedback.received.v1", at, {"survey_id": survey_id, "customer_id": "cus_1", "csat": csat})

    def issue_opened(self, at: datetime, category="late", issue_id="iss_1") -> dict:
        return self._add("issue.opened.v1", at, {
            "issue_id": issue_id, "customer_id": "cus_1", "category": category,
            "ack_due": iso(at + timedelta(hours=24)), "resolve_due": iso(at + timedelta(hours=48)),
        })

    def issue_acknowledged(self, at: datetime, issue_id="iss_1") -> dict:
        return self._add("issue.acknowledged.v1", at, {"issue_id": issue_id, "by": "agent"})

    def issue_resolved(self, at: datetime, issue_id="iss_1") -> dict:
        return self._add("issue.resolved.v1", at, {"issue_id": issue_id, "resolution": "refund", "by": "agent"})

    def issue_breached(self, at: datetime, clock="ack", issue_id="iss_1") -> dict:
        return self._add("issue.sla_breached.v1", at, {"issue_id": issue_id, "clock": clock, "due": iso(at)})

    def happy_path(self, delivered_at: datetime | None = None) -> list[dict]:
        """Placed Monday 10:00, packed and dispatched Tuesday, delivered Thursday: perfect."""
        start = self.placed_at
        delivered_at = delivered_at or start + timedelta(days=3)
        self.placed()
        self.invoiced(start + timedelta(minutes=5))
        self.packed(start + timedelta(days=1))
        self.dispatched(start + timedelta(days=1, minutes=10))
        self.shipment_delivered(delivered_at)
        self.completed(delivered_at)
        return self.events


def shift(warehouse: str, shift_id: str, start: datetime, end: datetime, staff: int = 2,
          hourly_cost: str = "20.00") -> dict:
    return event("labor.shift_recorded.v1", warehouse, end, {
        "warehouse_id": warehouse, "shift_id": shift_id, "start": iso(start), "end": iso(end),
        "staff": staff, "hourly_cost": hourly_cost,
    })


def engine_after(events: list[dict], now: datetime | None = None, rules=None):
    """A fresh engine that applied `events` in order, then advanced its clock to `now`."""
    from kpi_svc.domain import KpiEngine, KpiRules

    engine = KpiEngine(rules or KpiRules())
    for item in events:
        engine.apply(item)
    if now is not None:
        engine.advance(now)
    return engine


def figure(engine, kpi: str, now: datetime, window: str = "30d") -> tuple:
    """(numerator, denominator) of one KPI in one window."""
    entry = engine.report(window, now)["kpis"][kpi]
    return entry["numerator"], entry["denominator"]


def verdicts(engine, order_id: str = "ord_1") -> dict:
    card = engine.scorecard(order_id)
    return {name: part["holds"] for name, part in card["components"].items()}
