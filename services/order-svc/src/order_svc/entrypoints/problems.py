"""The problem answers of order-svc's routes, for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ProblemView(BaseModel):
    """RFC 9457 problem details, as every error of the service is answered."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    field: str | None = Field(
        default=None, description="the offending input, e.g. lines[0].quantity or Idempotency-Key"
    )


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem answers a route gives."""
    schema = ProblemView.model_json_schema()
    return {
        status: {"description": _PROBLEM_HELP[status], "content": {"application/problem+json": {"schema": schema}}}
        for status in statuses
    }


_PROBLEM_HELP = {
    400: "malformed request (e.g. a tampered cursor)",
    401: "no or unknown API key (or a bad callback signature)",
    403: "the caller's role may not call this route",
    404: "no such customer or order",
    409: "not allowed in the order's status, or Idempotency-Key reused with another body",
    422: "a field is invalid; `field` names it",
}
