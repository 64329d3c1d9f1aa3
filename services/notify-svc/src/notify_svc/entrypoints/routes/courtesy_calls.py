"""The account managers' call list: courtesy calls to vip customers, earliest due first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from orderpulse.http.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from orderpulse.http.problems import Problem

from notify_svc.entrypoints.dependencies import AccountManager, ContextDep, problems
from notify_svc.entrypoints.schemas import ID_PATTERN, CompleteCallRequest, CourtesyCallOut, CourtesyCallPage
from notify_svc.service_layer import commands

router = APIRouter(prefix="/v1/courtesy-calls", tags=["courtesy calls"])


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        due_by, call_id = position
        return datetime.fromisoformat(due_by), str(call_id)
    except (TypeError, ValueError):
        raise Problem(400, "invalid-cursor", "Invalid cursor", "Pass back `next_cursor` exactly as received.", field="cursor") from None


@router.get("", response_model=CourtesyCallPage, responses=problems(400, 401, 403, 422))
async def call_list(
    principal: AccountManager,
    ctx: ContextDep,
    status: Annotated[Literal["open", "completed"] | None, Query(description="only calls in this status; all by default")] = None,
    account_manager: Annotated[str | None, Query(min_length=1, max_length=200, description="only this manager's calls")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
):
    """Courtesy calls, earliest `due_by` first."""
    calls = await commands.call_list(ctx, status=status, account_manager=account_manager, after=_after(cursor), limit=limit)
    next_cursor = encode_cursor([calls[-1].due_by.isoformat(), calls[-1].call_id]) if len(calls) == limit else None
    return {"items": [call.__dict__ for call in calls], "next_cursor": next_cursor}


@router.post("/{call_id}/complete", response_model=CourtesyCallOut, responses=problems(401, 403, 404, 409, 422))
async def complete_call(
    call_id: Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN)],
    body: CompleteCallRequest,
    principal: AccountManager,
    ctx: ContextDep,
):
    """Record the call's outcome (publishes `courtesy_call.completed`). The same outcome again
    answers as before; a different one is 409."""
    call = await commands.complete_call(ctx, call_id, outcome=body.outcome, note=body.note, occurred_at=body.occurred_at)
    return call.__dict__
