"""The events notify-svc publishes on `orderpulse.notifications` (events.md), as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from orderpulse.rfc3339 import format_time

from notify_svc.domain.values import CourtesyCall, Notification

_time = format_time


@dataclass(frozen=True)
class OutgoingEvent:
    type: str
    key: str
    data: dict[str, Any]
    occurred_at: datetime


def notification_sent(n: Notification, *, sent_at: datetime, unit_cost: Decimal | None) -> OutgoingEvent:
    data = {
        "notification_id": n.notification_id,
        "order_id": n.order_id,
        "customer_id": n.customer_id,
        "milestone": n.milestone,
        "channel": n.channel,
        "trigger_event_id": n.trigger_event_id,
        "trigger_time": _time(n.trigger_time),
        "sent_at": _time(sent_at),
    }
    if unit_cost is not None:
        data["unit_cost"] = str(unit_cost)
    return OutgoingEvent("notification.sent.v1", n.order_id, data, sent_at)


def notification_failed(n: Notification, *, error: str, attempts: int, final: bool, at: datetime) -> OutgoingEvent:
    data = {
        "notification_id": n.notification_id,
        "order_id": n.order_id,
        "milestone": n.milestone,
        "channel": n.channel,
        "error": error[:500],
        "attempts": attempts,
        "final": final,
    }
    return OutgoingEvent("notification.failed.v1", n.order_id, data, at)


def notification_suppressed(order_id: str, milestone: str, reason: str, at: datetime) -> OutgoingEvent:
    return OutgoingEvent(
        "notification.suppressed.v1", order_id, {"order_id": order_id, "milestone": milestone, "reason": reason}, at
    )


def call_scheduled(call: CourtesyCall, at: datetime) -> OutgoingEvent:
    data = {
        "call_id": call.call_id,
        "order_id": call.order_id,
        "customer_id": call.customer_id,
        "milestone": call.milestone,
        "account_manager": call.account_manager,
        "due_by": _time(call.due_by),
    }
    return OutgoingEvent("courtesy_call.scheduled.v1", call.order_id, data, at)


def call_completed(call: CourtesyCall) -> OutgoingEvent:
    assert call.completed_at is not None and call.outcome is not None
    data = {
        "call_id": call.call_id,
        "order_id": call.order_id,
        "outcome": call.outcome,
        "completed_at": _time(call.completed_at),
    }
    return OutgoingEvent("courtesy_call.completed.v1", call.order_id, data, call.completed_at)
