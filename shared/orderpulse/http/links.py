"""OpenAPI links: which answer feeds which next call (an order placed → read it, correct it,
cancel it). They tell an integrator how the routes chain, and let a stateful API test follow the
chain with real identifiers instead of random ones.

A service lists its links once (`entrypoints/links.py`) and hands them to `create_app`; the link
names its target by method and route template, and the target's `operationId` is looked up in the
generated document, so a renamed handler cannot leave a link dangling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI


@dataclass(frozen=True)
class OperationLink:
    """After `source` answers `status`, `target` can be called with `parameters` (runtime
    expressions such as `$response.body#/order_id` or `$request.path.customer_id`)."""

    name: str
    source: tuple[str, str]
    status: int
    target: tuple[str, str]
    parameters: Mapping[str, str] = field(default_factory=dict)
    description: str = ""


class LinkError(ValueError):
    """A link names an operation, an answer or a parameter the document does not have."""


def add_links(app: FastAPI, links: Sequence[OperationLink]) -> None:
    """Write `links` into the app's OpenAPI document (after everything else documented it)."""
    if not links:
        return
    generate = app.openapi
    linked = False

    def openapi() -> dict[str, Any]:
        nonlocal linked
        document = generate()
        if not linked:
            for link in links:
                _write(document, link)
            linked = True
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _write(document: dict[str, Any], link: OperationLink) -> None:
    source = _operation(document, link.source, link.name)
    target = _operation(document, link.target, link.name)
    answer = source.get("responses", {}).get(str(link.status))
    if answer is None:
        raise LinkError(f"link {link.name}: {link.source[0]} {link.source[1]} documents no {link.status} answer")
    path_parameters = {p["name"] for p in target.get("parameters", []) if p.get("in") == "path"}
    unknown = set(link.parameters) - {p["name"] for p in target.get("parameters", [])}
    if unknown:
        raise LinkError(f"link {link.name}: {link.target[1]} has no parameter {sorted(unknown)}")
    missing = path_parameters - set(link.parameters)
    if missing:
        raise LinkError(f"link {link.name}: path parameters {sorted(missing)} of {link.target[1]} are not given")
    answer.setdefault("links", {})[link.name] = {
        "operationId": target["operationId"],
        "parameters": dict(link.parameters),
        **({"description": link.description} if link.description else {}),
    }


def _operation(document: dict[str, Any], route: tuple[str, str], name: str) -> dict[str, Any]:
    method, template = route
    operation = document.get("paths", {}).get(template, {}).get(method.lower())
    if operation is None:
        raise LinkError(f"link {name}: no operation {method} {template}")
    return operation
