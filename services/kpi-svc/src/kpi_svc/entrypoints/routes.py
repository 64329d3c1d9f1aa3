"""GET /v1/kpis, /v1/kpis/perfect-order/failures, /v1/orders/{order_id}/scorecard (kpis.md).

Roles (api.md, "kpi-svc"): `support`, `account_manager` and `admin` read everything; a
`carrier:<code>` key reads only its own carrier's figures - `GET /v1/kpis?by=carrier` answered
with its group alone - and gets 403 on every other read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from orderpulse.http.auth import Principal, require_roles
from orderpulse.http.problem_docs import problem_responses
from orderpulse.http.problems import Problem

from kpi_svc.domain import GROUP_DIMENSIONS, merge_failures, merge_reports
from kpi_svc.entrypoints.stream import wall_ms

router = APIRouter(tags=["kpis"])
READERS = ("support", "account_manager", "admin")
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
ReaderOrCarrier = Annotated[Principal, Depends(require_roles(*READERS, "carrier:*"))]


def _stream(request: Request):
    return request.app.state.stream


def _window(request: Request, window: str) -> str:
    windows = _stream(request).rules.windows
    if window not in windows:
        raise Problem(422, "validation-error", "Invalid query parameter", f"window must be one of {', '.join(windows)}", field="window")
    return window


@router.get("/v1/kpis", summary="KPI figures over a rolling window, overall or per group",
            responses=problem_responses(401, 403, 422))
async def kpis(
    request: Request, caller: ReaderOrCarrier, window: Annotated[str, Query()] = "24h", by: Annotated[str | None, Query()] = None
) -> dict:
    window = _window(request, window)
    if by is not None and by not in GROUP_DIMENSIONS:
        raise Problem(422, "validation-error", "Invalid query parameter", f"by must be one of {', '.join(GROUP_DIMENSIONS)}", field="by")
    carrier = caller.carrier
    if carrier is not None and by != "carrier":
        raise Problem(403, "forbidden", "Role not allowed", "A carrier key may read only its own figures: GET /v1/kpis?by=carrier.")
    stream = _stream(request)
    report = merge_reports(stream.sources(), window, wall_ms(), by, stream.rules)
    if carrier is not None:
        report["groups"] = {name: group for name, group in report["groups"].items() if name == carrier}
    return report


@router.get("/v1/kpis/perfect-order/failures", summary="Failed delivered orders per component and reason, largest first",
            responses=problem_responses(401, 403, 422))
async def failures(request: Request, _: Reader, window: Annotated[str, Query()] = "24h") -> dict:
    window = _window(request, window)
    stream = _stream(request)
    return merge_failures(stream.sources(), window, wall_ms(), stream.rules)


@router.get("/v1/orders/{order_id}/scorecard", summary="Why an order was (not) perfect",
            responses=problem_responses(401, 403, 404))
async def scorecard(request: Request, _: Reader, order_id: str) -> dict:
    found = await _stream(request).scorecard(order_id)
    if found is None:
        raise Problem(404, "not-found", "Order not known", f"kpi-svc holds no order {order_id!r} (unknown, or evicted after its claim window)")
    return found
