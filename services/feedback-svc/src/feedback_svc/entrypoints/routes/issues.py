"""Customer issues: open, acknowledge, resolve, and support's queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from orderpulse.http.auth import Principal, require_roles
from orderpulse.http.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from orderpulse.http.problems import Problem

from feedback_svc.entrypoints.dependencies import ContextDep, IdempotencyKeyHeader, idempotency, problems, respond
from feedback_svc.entrypoints.schemas import (
    ID_PATTERN,
    AcknowledgeRequest,
    IssueOut,
    IssuePage,
    OpenIssueRequest,
    ResolveRequest,
)
from feedback_svc.service_layer import issues
from feedback_svc.service_layer.commands import AcknowledgeIssue, OpenIssue, ResolveIssue
from feedback_svc.service_layer.ports import IssueFilter
from feedback_svc.service_layer.runner import run_command, run_query

router = APIRouter(prefix="/v1/issues", tags=["issues"])

IssueId = Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN, description="the issue, e.g. `iss_3f2c...`")]
Support = Annotated[Principal, Depends(require_roles("support"))]


def _after(cursor: str | None) -> tuple[int, datetime, str] | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        rank, due, issue_id = position
        moment = datetime.fromisoformat(due)
        if rank not in (0, 1) or isinstance(rank, bool) or not isinstance(issue_id, str) or moment.tzinfo is None:
            raise ValueError(position)
        return rank, moment, issue_id
    except (ValueError, TypeError):
        raise Problem(400, "invalid-cursor", "Invalid cursor", "Pass back `next_cursor` exactly as received.", field="cursor") from None


@router.post("", response_model=IssueOut, status_code=201, responses=problems(401, 403, 409, 422))
async def open_issue(
    principal: Annotated[Principal, Depends(require_roles("support", "storefront"))],
    body: OpenIssueRequest,
    request: Request,
    ctx: ContextDep,
    idempotency_key: IdempotencyKeyHeader = None,
):
    """Open an issue on a known order; both SLA clocks start at `occurred_at` (default now).
    An issue opened so long ago that a clock already passed is listed — and announced — as breached at once."""
    command = OpenIssue(body.order_id, body.category, body.description, body.channel, body.occurred_at)
    reply = await run_command(
        ctx, lambda uow: issues.open_issue(ctx, uow, command), idempotency=idempotency(principal, idempotency_key, request, body)
    )
    return respond(reply)


@router.post("/{issue_id}/acknowledge", response_model=IssueOut, responses=problems(401, 403, 404, 409, 422))
async def acknowledge(issue_id: IssueId, principal: Support, ctx: ContextDep, body: AcknowledgeRequest | None = None):
    """Support has seen the issue: stops the acknowledge clock (again: no change)."""
    command = AcknowledgeIssue(issue_id, principal.role, body.occurred_at if body else None)
    return respond(await run_command(ctx, lambda uow: issues.acknowledge(ctx, uow, command)))


@router.post("/{issue_id}/resolve", response_model=IssueOut, responses=problems(401, 403, 404, 409, 422))
async def resolve(issue_id: IssueId, principal: Support, body: ResolveRequest, ctx: ContextDep):
    """Close the issue with a resolution: stops the resolve clock (and the acknowledge clock, if
    it was still running: resolving answers the customer)."""
    command = ResolveIssue(issue_id, body.resolution, principal.role, body.occurred_at)
    return respond(await run_command(ctx, lambda uow: issues.resolve(ctx, uow, command)))


@router.get("", response_model=IssuePage, responses=problems(400, 401, 403, 422))
async def issue_queue(
    principal: Support,
    ctx: ContextDep,
    status: Annotated[Literal["open", "acknowledged", "resolved"] | None, Query(description="only this status; by default all")] = None,
    breached: Annotated[bool | None, Query(description="true: only issues with a clock past due; false: only those without")] = None,
    order_id: Annotated[str | None, Query(min_length=1, max_length=200, pattern=ID_PATTERN, description="only this order's issues")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
):
    """The queue, most urgent first: unresolved issues by their next deadline (so breached ones
    lead), then resolved ones."""
    selection = IssueFilter(statuses=(status,) if status else (), breached=breached, order_id=order_id)
    after = _after(cursor)
    page = await run_query(ctx, lambda uow: issues.issue_queue(ctx, uow, selection, after=after, limit=limit))
    next_cursor = None
    if page.last is not None:
        rank, due, issue_id = page.last
        next_cursor = encode_cursor([rank, due.isoformat(), issue_id])
    return {"items": page.items, "next_cursor": next_cursor}
