"""Schemas the generated OpenAPI cannot find by itself: the problem details every error uses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from feedback_svc.entrypoints.schemas import ProblemDetails


def add_problem_schema(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        document.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "ProblemDetails", ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
