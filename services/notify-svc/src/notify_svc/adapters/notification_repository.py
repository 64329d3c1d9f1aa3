"""Notifications in PostgreSQL: one row per (order, milestone, channel, subject), whatever replays."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc.domain.values import Notification
from notify_svc.service_layer.ports import NotificationView

_COLUMNS = (
    "notification_id, order_id, customer_id, milestone, channel, subject, status, trigger_event_id, trigger_time, "
    "due_at, attempts, deferred, reason, shipment_ids, details, sent_at, last_error"
)

_INSERT_QUIETLY = (
    "INSERT INTO notifications (notification_id, order_id, customer_id, milestone, channel, subject, status, reason, "
    "merged_into, shipment_ids, details, trigger_event_id, trigger_time, due_at) "
    "VALUES (:notification_id, :order_id, :customer_id, :milestone, :channel, :subject, :status, :reason, "
    ":merged_into, CAST(:shipment_ids AS jsonb), CAST(:details AS jsonb), :trigger_event_id, :trigger_time, :due_at) "
    "ON CONFLICT DO NOTHING"
)
_INSERT = text(_INSERT_QUIETLY + " RETURNING notification_id")
INSERT_MANY = text(_INSERT_QUIETLY)

# A later parcel joins only a message nobody has tried to send yet; one the sender holds right now
# (locked) is being sent, so the parcel gets its own message rather than waiting for it.
_OPEN_DIGEST = text(
    "SELECT notification_id FROM notifications WHERE order_id = :o AND milestone = :m AND channel = :c "
    "AND status = 'pending' AND attempts = 0 AND NOT deferred "
    "AND trigger_time BETWEEN CAST(:near AS timestamptz) - make_interval(secs => :w) "
    "AND CAST(:near AS timestamptz) + make_interval(secs => :w) "
    "ORDER BY trigger_time LIMIT 1 FOR UPDATE SKIP LOCKED"
)

_CLAIM = text(
    f"SELECT {_COLUMNS} FROM notifications WHERE status = 'pending' AND due_at <= :now "
    "ORDER BY due_at LIMIT :limit FOR UPDATE SKIP LOCKED"
)

_NEXT_DUE = text("SELECT min(due_at) FROM notifications WHERE status = 'pending' AND due_at > :after")

_UPDATE = text(
    "UPDATE notifications SET status = :status, due_at = :due_at, attempts = :attempts, deferred = :deferred, "
    "reason = :reason, last_error = :last_error, sent_at = :sent_at WHERE notification_id = :notification_id"
)

# Parcels merged into a digest show the digest's status and time, and which message carried them.
_OF_ORDER = text(
    "SELECT n.notification_id, n.milestone, n.channel, COALESCE(d.status, n.status) AS status, "
    "COALESCE(d.reason, n.reason) AS reason, n.trigger_time, COALESCE(d.sent_at, n.sent_at) AS sent_at, n.merged_into "
    "FROM notifications n LEFT JOIN notifications d ON d.notification_id = n.merged_into "
    "WHERE n.order_id = :o "
    "UNION ALL "
    "SELECT c.call_id, c.milestone, 'call', CASE WHEN c.status = 'completed' THEN 'sent' ELSE 'pending' END, "
    "c.outcome, c.created_at, c.completed_at, NULL FROM courtesy_calls c WHERE c.order_id = :o "
    "ORDER BY trigger_time, milestone, channel, notification_id"
)


def _notification(row: Any) -> Notification:
    values = row._asdict()
    values["shipment_ids"] = tuple(values["shipment_ids"] or ())
    values["details"] = dict(values["details"] or {})
    return Notification(**values)


def insert_params(n: Notification, merged_into: str | None) -> dict[str, Any]:
    return {
        "notification_id": n.notification_id,
        "order_id": n.order_id,
        "customer_id": n.customer_id,
        "milestone": n.milestone,
        "channel": n.channel,
        "subject": n.subject,
        "status": n.status,
        "reason": n.reason,
        "merged_into": merged_into,
        "shipment_ids": orjson.dumps(n.shipment_ids).decode() if n.shipment_ids else "[]",
        "details": orjson.dumps(n.details).decode(),
        "trigger_event_id": n.trigger_event_id,
        "trigger_time": n.trigger_time,
        "due_at": n.due_at,
    }


class SqlNotificationStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, notification: Notification, *, merged_into: str | None = None) -> bool:
        row = (await self._session.execute(_INSERT, insert_params(notification, merged_into))).first()
        return row is not None

    async def open_digest(self, order_id: str, milestone: str, channel: str, near: datetime, window_s: float) -> str | None:
        return (
            await self._session.execute(_OPEN_DIGEST, {"o": order_id, "m": milestone, "c": channel, "near": near, "w": window_s})
        ).scalar()

    async def join_digest(self, notification_id: str, shipment_id: str) -> None:
        await self._session.execute(
            text(
                "UPDATE notifications SET shipment_ids = shipment_ids || CAST(:s AS jsonb) "
                "WHERE notification_id = :n AND NOT shipment_ids @> CAST(:s AS jsonb)"
            ),
            {"n": notification_id, "s": orjson.dumps([shipment_id]).decode()},
        )

    async def claim_due(self, now: datetime, limit: int) -> list[Notification]:
        rows = await self._session.execute(_CLAIM, {"now": now, "limit": limit})
        return [_notification(row) for row in rows]

    async def next_due(self, after: datetime) -> datetime | None:
        return (await self._session.execute(_NEXT_DUE, {"after": after})).scalar()

    async def update(self, notifications: Sequence[Notification]) -> None:
        if not notifications:
            return
        await self._session.execute(
            _UPDATE,
            [
                {
                    "notification_id": n.notification_id,
                    "status": n.status,
                    "due_at": n.due_at,
                    "attempts": n.attempts,
                    "deferred": n.deferred,
                    "reason": n.reason,
                    "last_error": n.last_error,
                    "sent_at": n.sent_at,
                }
                for n in notifications
            ],
        )

    async def of_order(self, order_id: str) -> list[NotificationView]:
        rows = await self._session.execute(_OF_ORDER, {"o": order_id})
        return [NotificationView(*row) for row in rows]

