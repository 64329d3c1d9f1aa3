"""The problem answers of order-svc's routes, for the OpenAPI document (the platform's
`ProblemDetails`, orderpulse.http.problem_docs, with what each status means here)."""

from __future__ import annotations

from typing import Any

from orderpulse.http.problem_docs import DEFAULT_MEANINGS, problem_responses

MEANINGS = {
    **DEFAULT_MEANINGS,
    400: "malformed request (e.g. a tampered cursor)",
    401: "no or unknown API key (or a bad callback signature)",
    403: "the caller's role may not call this route",
    404: "no such customer or order",
    409: "not allowed in the order's status, or Idempotency-Key reused with another body",
    422: "a field is invalid; `field` names it (e.g. lines[0].quantity or Idempotency-Key)",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem answers a route gives."""
    return problem_responses(*statuses, meanings=MEANINGS)
