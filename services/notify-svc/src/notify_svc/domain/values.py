"""The values notify-svc reasons about: what it learned of orders and customers, triggers, notifications, calls."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notify_svc.domain.preferences import Preferences

PENDING, SENT, FAILED, SUPPRESSED, MERGED = "pending", "sent", "failed", "suppressed", "merged"
OPEN, COMPLETED = "open", "completed"
UNASSIGNED = "unassigned"  # a vip without an account manager: the call still goes on the list


@dataclass(frozen=True)
class Customer:
    """A profile from `customer.upserted` plus the preferences set through the API (either may come first)."""

    customer_id: str
    tier: str | None = None
    name: str = ""
    email: str = ""
    phone: str = ""
    locale: str = "en"
    timezone: str = "UTC"
    account_manager: str | None = None
    preferences: Preferences = field(default_factory=Preferences)

    @property
    def known(self) -> bool:
        """True once `customer.upserted` arrived (preferences alone do not give an address)."""
        return self.tier is not None

    @property
    def message_locale(self) -> str:
        return self.preferences.locale or self.locale or "en"


@dataclass(frozen=True)
class OrderFacts:
    order_id: str
    customer_id: str
    tier: str
    promised_by: datetime | None = None


@dataclass(frozen=True)
class ShipmentFacts:
    shipment_id: str
    order_id: str
    carrier: str
    tracking_number: str
    promised_by: datetime | None = None
    eta: datetime | None = None


@dataclass(frozen=True)
class MilestoneReached:
    """One status milestone in an order's history: `scope` is the shipment, or '' for the whole order."""

    scope: str
    milestone: str
    time: datetime


@dataclass(frozen=True)
class Trigger:
    """A milestone reached by an event: what the customer should hear about.

    `subject` completes the unique key: the shipment of a parcel milestone, the survey, the
    issue and its stage, or the return; '' for the order's own milestones.
    """

    event_id: str
    order_id: str
    milestone: str
    time: datetime
    subject: str = ""
    shipment_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    notification_id: str
    order_id: str
    customer_id: str
    milestone: str
    channel: str
    subject: str
    status: str
    trigger_event_id: str
    trigger_time: datetime
    due_at: datetime | None
    attempts: int = 0
    deferred: bool = False
    reason: str | None = None
    shipment_ids: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    sent_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class CourtesyCall:
    call_id: str
    order_id: str
    customer_id: str
    milestone: str
    account_manager: str
    due_by: datetime
    status: str = OPEN
    outcome: str | None = None
    note: str | None = None
    completed_at: datetime | None = None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def notification_id(order_id: str, milestone: str, channel: str, subject: str) -> str:
    """Derived from the unique key, so a replay or a re-send after a crash names the same message
    (it is the email's Message-ID and the webhook's `webhook-id`: providers deduplicate on it)."""
    return f"ntf_{_digest(order_id, milestone, channel, subject)}"


def call_id(order_id: str, milestone: str) -> str:
    return f"call_{_digest(order_id, milestone)}"
