"""Which events are milestones for the customer, and what each message needs to say.

An event's `data` arrives as the catalog's JSON (a dict); times are parsed here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from notify_svc.domain import milestones as m
from notify_svc.domain.values import Trigger

PAYMENT_CODES = frozenset({"payment_failed", "payment_amount_mismatch"})


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _pick(data: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: data[name] for name in names if data.get(name) is not None}


Build = Callable[[Mapping[str, Any]], list[tuple[str, str, str | None, dict[str, Any]]]]
# each entry: (milestone, subject, shipment_id, details)


def _order(milestone: str, *fields: str) -> Build:
    return lambda data: [(milestone, "", None, _pick(data, *fields))]


def _parcel(milestone: str, *fields: str) -> Build:
    def build(data: Mapping[str, Any]) -> list:
        shipment_id = str(data["shipment_id"])
        return [(milestone, shipment_id, shipment_id, _pick(data, "carrier", *fields))]

    return build


def _held(data: Mapping[str, Any]) -> list:
    discrepancies = [d for d in data.get("discrepancies", ()) if isinstance(d, Mapping)]
    if discrepancies and all(d.get("code") in PAYMENT_CODES for d in discrepancies):
        return []  # held only because payment failed: `payment_failed` already tells the customer
    to_fix = [{"field": d.get("field", ""), "detail": d.get("detail", "")} for d in discrepancies if d.get("code") not in PAYMENT_CODES]
    return [(m.ORDER_HELD, "", None, {"to_fix": to_fix})]


def _keyed(milestone: str, key_field: str, *fields: str, stage: str | None = None) -> Build:
    def build(data: Mapping[str, Any]) -> list:
        subject = str(data[key_field]) + (f":{stage}" if stage else "")
        details = _pick(data, *fields)
        if stage:
            details["stage"] = stage
        return [(milestone, subject, None, details)]

    return build


BUILDERS: Mapping[str, Build] = {
    "order.confirmed.v1": _order(m.ORDER_CONFIRMED, "promised_by"),
    "order.held.v1": _held,
    "order.payment_failed.v1": _order(m.PAYMENT_FAILED, "reason"),
    "order.cancelled.v1": _order(m.CANCELLED, "reason"),
    "shipment.dispatched.v1": _parcel(m.SHIPPED, "tracking_number", "eta"),
    "shipment.out_for_delivery.v1": _parcel(m.OUT_FOR_DELIVERY, "eta"),
    "shipment.delayed.v1": _parcel(m.DELAYED, "reason", "new_eta"),
    "shipment.exception.v1": _parcel(m.DELAYED, "reason"),
    "shipment.delivery_failed.v1": _parcel(m.DELIVERY_FAILED, "reason", "next_attempt"),
    "shipment.delivered.v1": _parcel(m.DELIVERED, "condition"),
    "return.received.v1": _keyed(m.RETURN_RECEIVED, "return_id", "condition"),
    "survey.requested.v1": _keyed(m.SURVEY, "survey_id", "survey_url", "expires_at"),
    "issue.opened.v1": _keyed(m.ISSUE_UPDATE, "issue_id", "category", "resolve_due", stage="opened"),
    "issue.acknowledged.v1": _keyed(m.ISSUE_UPDATE, "issue_id", stage="acknowledged"),
    "issue.resolved.v1": _keyed(m.ISSUE_UPDATE, "issue_id", "resolution", stage="resolved"),
}

# scans whose carrier eta, once past the promise, is a predicted delay
ETA_FIELDS: Mapping[str, str] = {
    "shipment.dispatched.v1": "eta",
    "shipment.in_transit.v1": "eta",
    "shipment.out_for_delivery.v1": "eta",
}


def triggers_of(
    short_type: str, data: Mapping[str, Any], *, event_id: str, time: datetime, promised_by: datetime | None
) -> list[Trigger]:
    """The milestones this event reaches: usually one, none for events customers do not hear
    about, and a predicted `delayed` when a carrier's eta passes the promise."""
    order_id = str(data.get("order_id", ""))
    found = list(BUILDERS[short_type](data)) if short_type in BUILDERS else []
    eta_field = ETA_FIELDS.get(short_type)
    eta = None if eta_field is None else parse_time(data.get(eta_field))
    promise = None if eta is None else parse_time(data.get("promised_by")) or promised_by  # read only to compare
    if eta is not None and promise is not None and eta > promise and data.get("shipment_id"):
        shipment_id = str(data["shipment_id"])
        details = {"carrier": data.get("carrier"), "reason": "predicted", "new_eta": data.get(ETA_FIELDS[short_type])}
        found.append((m.DELAYED, shipment_id, shipment_id, details))
    return [
        Trigger(event_id=event_id, order_id=order_id, milestone=milestone, time=time, subject=subject, shipment_id=shipment, details=details)
        for milestone, subject, shipment, details in found
    ]


def is_trigger_type(short_type: str) -> bool:
    return short_type in BUILDERS or short_type in ETA_FIELDS
