"""Request and response bodies of notify-svc's routes (api.md, "Request and response shapes")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"


class PreferencesRequest(BaseModel):
    """Channels are checked by the domain (so an unknown one is named), quiet hours too."""

    model_config = ConfigDict(extra="forbid")

    channels: dict[str, Any] = Field(default_factory=dict, description='e.g. {"email": true, "sms": false}; webhooks are opt-in')
    quiet_hours: dict[str, Any] | None = Field(
        default=None, description='{"start": "22:00", "end": "07:00"} in the customer\'s timezone; null clears them'
    )
    locale: str | None = Field(default=None, max_length=20)


class QuietHoursOut(BaseModel):
    start: str
    end: str


class PreferencesOut(BaseModel):
    customer_id: str
    channels: dict[str, bool]
    quiet_hours: QuietHoursOut | None
    locale: str | None


class NotificationOut(BaseModel):
    notification_id: str | None = None
    milestone: str
    channel: Literal["email", "sms", "webhook", "call"]
    status: Literal["sent", "pending", "failed", "suppressed"]
    reason: str | None = None
    trigger_time: datetime
    sent_at: datetime | None = None
    merged_into: str | None = Field(
        default=None,
        description="on a parcel's row told in another message (a digest of parcels reaching the milestone "
        "together): that message's notification_id. Not a message of its own: one notification.sent, the digest's",
    )


class NotificationList(BaseModel):
    items: list[NotificationOut]


class CourtesyCallOut(BaseModel):
    call_id: str
    order_id: str
    customer_id: str
    milestone: str
    account_manager: str
    due_by: datetime
    status: Literal["open", "completed"]
    outcome: str | None = None
    note: str | None = None
    completed_at: datetime | None = None


class CourtesyCallPage(BaseModel):
    items: list[CourtesyCallOut]
    next_cursor: str | None = None


class CompleteCallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["reached", "voicemail", "no_answer"]
    note: str | None = Field(default=None, max_length=2000)
    occurred_at: AwareDatetime | None = None
