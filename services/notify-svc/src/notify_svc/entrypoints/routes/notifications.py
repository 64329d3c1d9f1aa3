"""What a customer was told about an order, when and how, and what was held back and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from notify_svc.entrypoints.dependencies import ContextDep, Support, problems
from notify_svc.entrypoints.schemas import ID_PATTERN, NotificationList
from notify_svc.service_layer import commands

router = APIRouter(tags=["notifications"])


@router.get("/v1/orders/{order_id}/notifications", response_model=NotificationList, responses=problems(401, 403, 404, 422))
async def notifications_of_order(
    order_id: Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN)],
    principal: Support,
    ctx: ContextDep,
):
    """Every message of the order per channel (courtesy calls as `call`), oldest trigger first:
    sent, pending (waiting for quiet hours to end or a retry), failed or suppressed with the reason."""
    views = await commands.notifications_of(ctx, order_id)
    items = []
    for view in views:
        item = {
            "notification_id": view.notification_id,
            "milestone": view.milestone,
            "channel": view.channel,
            "status": view.status,
            "trigger_time": view.trigger_time,
        }
        if view.reason:
            item["reason"] = view.reason
        if view.sent_at:
            item["sent_at"] = view.sent_at
        if view.merged_into:
            item["merged_into"] = view.merged_into
        items.append(item)
    return {"items": items}
