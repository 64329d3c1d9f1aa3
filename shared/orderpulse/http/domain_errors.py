"""A service's domain errors as problem+json: one handler per service, one mapping.

Every service's domain errors carry a `code` (snake_case), a `detail` and the `field` to fix; the
service says which HTTP status each gets and, where a code deserves one, its title and the extra
members its problem document carries. A `TransientConflict` that outlived its retries is a 503
`busy` with `Retry-After`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from orderpulse.commands import TransientConflict
from orderpulse.http.problems import problem_response


class DomainFailure(Protocol):
    code: str
    detail: str
    field: str | None


E = TypeVar("E", bound=Exception)


def problem_code(code: str) -> str:
    """Domain codes use underscores; problem `type` URIs use hyphens like the platform's."""
    return code.replace("_", "-")


def install_domain_errors(
    app: FastAPI,
    error_type: type[E],
    status_of: Callable[[E], int],
    *,
    titles: Mapping[str, str] | None = None,
    extra: Callable[[E], dict[str, Any]] | None = None,
) -> None:
    """Answer every `error_type` raised by a route as a problem document."""

    @app.exception_handler(error_type)
    async def _domain(request: Request, error: E) -> JSONResponse:
        code = error.code  # type: ignore[attr-defined]
        return problem_response(
            status_of(error),
            problem_code(code),
            (titles or {}).get(code, code.replace("_", " ").capitalize()),
            error.detail,  # type: ignore[attr-defined]
            instance=request.url.path,
            field=error.field,  # type: ignore[attr-defined]
            **(extra(error) if extra is not None else {}),
        )


def status_by_category(statuses: Mapping[str, int], default: int = 409) -> Callable[[Any], int]:
    """`status_of` for errors that name a `category` (invalid, not_found, conflict, gone)."""
    return lambda error: statuses.get(error.category, default)


def install_busy_handler(app: FastAPI) -> None:
    """A command that kept losing races to concurrent ones: retry shortly."""

    @app.exception_handler(TransientConflict)
    async def _busy(request: Request, _error: TransientConflict) -> JSONResponse:
        return problem_response(
            503,
            "busy",
            "Concurrent updates",
            "The request kept colliding with concurrent updates; retry after the given delay.",
            instance=request.url.path,
            headers={"Retry-After": "1"},
        )
