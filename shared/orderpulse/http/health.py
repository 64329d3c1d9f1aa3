"""`/healthz` (the process is alive) and `/readyz` (its database and broker answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import BaseModel, Field

ReadinessCheck = Callable[[], Awaitable[bool | str]]  # True: ready; False or a reason (str): not ready

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str] = Field(description="each check: `ok`, or why it is not (e.g. `unavailable`)")


_READINESS = {"model": Readiness}


@router.get(
    "/readyz",
    summary="Readiness: the database and the broker are reachable",
    description="200 when every check is `ok`; 503 with `Retry-After` and the failing checks otherwise "
                "(a load balancer or Kubernetes stops routing here until it is 200 again).",
    responses={200: _READINESS, 503: {**_READINESS, "description": "Not ready: a check failed"}},
)
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, ReadinessCheck] = request.app.state.readiness_checks
    names = list(checks)
    results = await asyncio.gather(*(_safe(checks[name]) for name in names))
    report = {name: ("ok" if ok is True else ok or "unavailable") for name, ok in zip(names, results, strict=True)}
    ready = all(ok is True for ok in results)
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": report},
        status_code=200 if ready else 503,
        headers=None if ready else {"Retry-After": "5"},
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def prometheus_metrics(request: Request) -> Response:
    # `?name[]=<metric>&name[]=...` exposes only those metrics, as prometheus_client's own
    # exporters do (a scrape config's `params`): a frequent reader of a few series, such as
    # bench/kpi_freshness_bench.py, need not cost the service the whole exposition each time
    names = request.query_params.getlist("name[]")
    registry = REGISTRY.restricted_registry(names) if names else REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


async def _safe(check: ReadinessCheck) -> bool | str:
    try:
        result = await asyncio.wait_for(check(), 3.0)
    except Exception:
        return False
    return result if isinstance(result, str) else bool(result)
