"""Schemas the generated OpenAPI cannot find by itself: problem details, and the carrier batch
(that route reads its raw body to check the signature before parsing it)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from fulfillment_svc.entrypoints.responses import ProblemDetails
from fulfillment_svc.entrypoints.schemas import CarrierEventBatch

EXTRA_SCHEMAS: tuple[type[BaseModel], ...] = (ProblemDetails, CarrierEventBatch)


def add_extra_schemas(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in EXTRA_SCHEMAS:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in schema.pop("$defs", {}).items():
                schemas.setdefault(name, definition)
            schemas.setdefault(model.__name__, schema)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
