"""A customer's notification preferences: channels on/off, quiet hours, locale."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from notify_svc.domain.preferences import preference_change
from notify_svc.entrypoints.dependencies import ContextDep, PreferenceWriter, problems
from notify_svc.entrypoints.schemas import ID_PATTERN, PreferencesOut, PreferencesRequest
from notify_svc.service_layer import commands

router = APIRouter(tags=["preferences"])


@router.put(
    "/v1/customers/{customer_id}/preferences", response_model=PreferencesOut, responses=problems(401, 403, 422)
)
async def set_preferences(
    customer_id: Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN)],
    body: PreferencesRequest,
    principal: PreferenceWriter,
    ctx: ContextDep,
):
    """Switch channels on or off, set quiet hours (SMS waits until they end; email does not) or
    the locale. Fields left out keep their value; `quiet_hours: null` clears them."""
    change = preference_change(body.channels, body.quiet_hours, "quiet_hours" in body.model_fields_set, body.locale)
    saved = await commands.set_preferences(ctx, customer_id, change)
    return {"customer_id": customer_id, **saved.to_data()}
