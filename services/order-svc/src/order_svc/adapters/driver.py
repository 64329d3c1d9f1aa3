"""Helpers for the few hot statements written by hand for asyncpg (orderpulse.db.direct's
connections): they turn a table's rows into `$n::type` placeholders and values (JSONB sent as
text, cast in SQL). Each such statement runs alone in autocommit: it is its own transaction.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson
from orderpulse.db.bulk import sql_type
from sqlalchemy import Table


def json_text(value: Any) -> str | None:
    """A JSONB value as text for `$n::text::jsonb` (None stays SQL NULL)."""
    return None if value is None else orjson.dumps(value).decode()


@lru_cache(maxsize=32)
def _columns(table: Table) -> tuple[tuple[str, bool], ...]:
    """(name, is JSONB) of each column, in order (iterating a SQLAlchemy table costs more than a row)."""
    return tuple((c.name, sql_type(c) == "jsonb") for c in table.columns)


def row_values(table: Table, row: dict[str, Any]) -> list[Any]:
    """`row` in the table's column order, JSONB as text."""
    return [json_text(row[name]) if is_json else row[name] for name, is_json in _columns(table) if name in row]


def placeholders(table: Table, first: int, row_keys) -> tuple[list[str], list[str]]:
    """Column names and `$n::type` placeholders (JSONB sent as text) for the columns in `row_keys`."""
    names, marks = [], []
    for column in table.columns:
        if column.name in row_keys:
            kind = sql_type(column)
            names.append(column.name)
            marks.append(f"${first + len(marks)}::text::jsonb" if kind == "jsonb" else f"${first + len(marks)}::{kind}")
    return names, marks
