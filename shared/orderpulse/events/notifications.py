"""Event payloads of the `orderpulse.notifications` topic, published by notify-svc.

They record what customers were told, when and how (key: order id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from .common import EventData, Id, Milestone, Money, NotificationChannel


class NotificationSent(EventData):
    """A customer was told about a milestone; `trigger_time` is its trigger event's time."""

    notification_id: Id
    order_id: Id
    customer_id: Id
    milestone: Milestone
    channel: NotificationChannel
    trigger_event_id: Id
    trigger_time: AwareDatetime
    sent_at: AwareDatetime
    unit_cost: Money | None = None


class NotificationFailed(EventData):
    """Sending failed; `final` says no more attempts will be made."""

    notification_id: Id
    order_id: Id
    milestone: Milestone
    channel: NotificationChannel
    error: str
    attempts: Annotated[int, Field(ge=1)]
    final: bool


class NotificationSuppressed(EventData):
    """A notification was deliberately not sent."""

    order_id: Id
    milestone: Milestone
    reason: Literal["superseded", "stale", "opted_out", "duplicate", "quiet_hours_deferred"]


class CourtesyCallScheduled(EventData):
    """An account manager must call the customer by `due_by`."""

    call_id: Id
    order_id: Id
    customer_id: Id
    milestone: Milestone
    account_manager: str
    due_by: AwareDatetime


class CourtesyCallCompleted(EventData):
    """A courtesy call was made, with its outcome."""

    call_id: Id
    order_id: Id
    outcome: Literal["reached", "voicemail", "no_answer"]
    completed_at: AwareDatetime


EVENTS: Mapping[str, type[EventData]] = {
    "notification.sent.v1": NotificationSent,
    "notification.failed.v1": NotificationFailed,
    "notification.suppressed.v1": NotificationSuppressed,
    "courtesy_call.scheduled.v1": CourtesyCallScheduled,
    "courtesy_call.completed.v1": CourtesyCallCompleted,
}
