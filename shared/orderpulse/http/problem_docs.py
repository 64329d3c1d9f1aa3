"""Problem details in the OpenAPI document: the schema every error uses, and the `responses`
entries a route lists for the problems it answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from orderpulse.http.problems import PROBLEM_JSON

DEFAULT_MEANINGS: Mapping[int, str] = {
    400: "Malformed query (e.g. a tampered cursor) or a body that is not JSON",
    401: "Missing or unknown API key",
    403: "The caller's role may not call this route",
    404: "Not found",
    409: "The request conflicts with the current state",
    410: "Gone",
    422: "The request is malformed; `field` names what to fix",
    503: "A dependency is unavailable or the request lost a race; retry",
}


class ProblemDetails(BaseModel):
    """RFC 9457 problem details: every error of the API."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    field: str | None = Field(default=None, description="the offending field, where one is at fault")


def problem_responses(*statuses: int, meanings: Mapping[int, str] = DEFAULT_MEANINGS) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem+json answers a route gives (call `add_problem_schema` once)."""
    return {
        status: {
            "description": meanings.get(status, DEFAULT_MEANINGS.get(status, "Problem")),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        for status in statuses
    }


def add_problem_schema(app: FastAPI) -> None:
    """Document the problems every route can answer, in one place (`create_app` calls it):

    - `ProblemDetails` goes into the components, for the routes' `$ref`s;
    - FastAPI's default 422 (`HTTPValidationError`, application/json) becomes problem+json, which
      is what the validation handler answers;
    - a route that takes a body also answers 400 when the body cannot be read as JSON.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("ProblemDetails", ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}"))
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                _document_common_problems(operation)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _document_common_problems(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    validation = responses.get("422", {}).get("content", {})
    if "application/json" in validation and "HTTPValidationError" in str(validation["application/json"]):
        responses["422"] = problem_responses(422)[422]
    if "requestBody" in operation and "400" not in responses:
        responses["400"] = problem_responses(400, meanings={400: "The body is not JSON (or not UTF-8)"})[400]
