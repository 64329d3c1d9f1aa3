"""Cursor pagination: `?limit=50&cursor=...` → `{"items": [...], "next_cursor": ...}`."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel

from orderpulse.http.problems import Problem

T = TypeVar("T")

LimitQuery = Annotated[int, Query(ge=1, le=200, description="page size")]
CursorQuery = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(position: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(position), default=str)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """The sort key the previous page ended at; a 400 problem naming `cursor` if it was tampered with."""
    if cursor is None:
        return None
    try:
        value = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except Exception:
        value = None
    if not isinstance(value, list):
        raise Problem(400, "invalid-cursor", "Invalid cursor", "Pass back `next_cursor` exactly as received.", field="cursor")
    return value
