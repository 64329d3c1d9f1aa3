"""Many rows in one statement: an INSERT or UPDATE whose parameters are arrays (one per column,
unnested into rows), so PostgreSQL parses, plans and runs it once per batch instead of once per
row (an executemany still runs the statement once for every row). jsonb values travel as text.

An UPDATE can also take its rows as one JSON document (`json_sql`/`json_rows`): one
orjson call instead of an array per column, whose every element asyncpg inspects in Python (two
`isinstance` checks against ABCs, then its encoding). It moves work to PostgreSQL, which parses
the document and then each value from text, and a consumer waits for every statement: measure
both sides (order-svc's orders update, ~35 columns: client −15 µs, PostgreSQL +3 µs per row; its
timeline insert, six columns: client −3 µs, PostgreSQL +5 µs, so it kept its arrays). An INSERT
can take each column as one JSON array instead (`BulkInsert.json_sql`/`json_columns`): the same
per-column values, so jsonb still travels as text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import orjson
from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, Numeric, Table, Text
from sqlalchemy.dialects.postgresql import JSONB


def _array_type(kind: str) -> str:
    return f"{'text' if kind == 'jsonb' else kind}[]"


def _value(name: str, kind: str) -> str:
    return f"CAST(u.{name} AS jsonb)" if kind == "jsonb" else f"u.{name}"


def _arrays(columns: Mapping[str, str], rows: Sequence[Mapping[str, Any]], prefix: str) -> dict[str, list]:
    params: dict[str, list] = {}
    for param, kind in columns.items():
        values = [row[param] for row in rows]
        if kind == "jsonb":
            values = [value if value is None or isinstance(value, str) else orjson.dumps(value).decode() for value in values]
        params[prefix + param] = values
    return params


def _json(rows: Sequence[Any]) -> str:
    return orjson.dumps(rows, default=_json_default, option=orjson.OPT_NAIVE_UTC).decode()


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not sent as JSON")


_TYPES = ((JSONB, "jsonb"), (BigInteger, "int8"), (Integer, "int4"), (Numeric, "numeric"), (DateTime, "timestamptz"),
          (Boolean, "bool"), (Text, "text"))


def sql_type(column: Column) -> str:
    """The PostgreSQL type a value of `column` is sent as (a cast's target)."""
    for python_type, name in _TYPES:
        if isinstance(column.type, python_type):
            return name
    raise TypeError(f"no SQL type known for {column}")


def column_types(table: Table) -> dict[str, str]:
    """Column name -> `sql_type`, for every column of `table`, in order."""
    return {column.name: sql_type(column) for column in table.columns}


class BulkInsert(NamedTuple):
    """The one-statement form of a single-row INSERT ... ON CONFLICT: its parameters as arrays.
    `conflict` is what follows ON CONFLICT (an upsert's target and SET list, or DO NOTHING); an
    upsert's rows must not repeat a key (PostgreSQL refuses to update a row twice in a statement)."""

    table: str
    columns: dict[str, tuple[str, str]]  # the single-row statement's parameter -> (column, SQL type)
    conflict: str = "DO NOTHING"

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def sql(self, prefix: str = "") -> str:
        """The statement, its parameters named `prefix` + the single-row names (jsonb travels as text)."""
        names = ", ".join(column for column, _ in self.columns.values())
        arrays = ", ".join(f"CAST(:{prefix}{param} AS {_array_type(kind)})" for param, (_, kind) in self.columns.items())
        values = ", ".join(_value(param, kind) for param, (_, kind) in self.columns.items())
        return (
            f"INSERT INTO {self.table} ({names}) SELECT {values} FROM unnest({arrays}) AS u ({', '.join(self.columns)}) "
            f"ON CONFLICT {self.conflict}"
        )

    def arrays(self, rows: Sequence[Mapping[str, Any]], prefix: str = "") -> dict[str, list]:
        """The statement's parameters for `rows` (each keyed by the single-row names): one array
        per column; a jsonb value that is not text yet is encoded here."""
        return _arrays({param: kind for param, (_, kind) in self.columns.items()}, rows, prefix)

    def json_sql(self, prefix: str = "") -> str:
        """The same statement with each column's values as one JSON array of text (`json_columns`),
        unpacked with `jsonb_array_elements_text` side by side (`ROWS FROM`) and cast to the
        column's type: one orjson call per column where an array has asyncpg check every element
        in Python. PostgreSQL then parses the text: measure both sides (docs/benchmarks.md,
        `notifycons`: notify-svc's milestones and notifications, client −11 µs, PostgreSQL +4 µs an order)."""
        names = ", ".join(column for column, _ in self.columns.values())
        elements = ", ".join(
            f"jsonb_array_elements_text(CAST(CAST(:{prefix}{param} AS text) AS jsonb))" for param in self.columns
        )
        values = ", ".join(
            f"u.{param}" if kind == "text" else f"CAST(u.{param} AS {kind})" for param, (_, kind) in self.columns.items()
        )
        return (
            f"INSERT INTO {self.table} ({names}) SELECT {values} FROM ROWS FROM ({elements}) AS u ({', '.join(self.columns)}) "
            f"ON CONFLICT {self.conflict}"
        )

    def json_columns(self, rows: Sequence[Mapping[str, Any]], prefix: str = "") -> dict[str, str]:
        """`json_sql`'s parameters for `rows`: `arrays`' columns, each as one JSON text (the same
        values: a jsonb value is JSON text or encoded here, None is SQL NULL; naive datetimes are
        taken as UTC, as asyncpg takes them; Decimals travel as text, read back exactly)."""
        return {name: _json(values) for name, values in self.arrays(rows, prefix).items()}


class BulkUpdate(NamedTuple):
    """UPDATE of many rows, each found by `key`, in one statement: every other column of
    `columns` (name -> SQL type) is set from the row's values. The rows must not repeat a key."""

    table: str
    key: str
    columns: dict[str, str]

    def sql(self) -> str:
        arrays = ", ".join(f"CAST(:{name} AS {_array_type(kind)})" for name, kind in self.columns.items())
        sets = ", ".join(f"{name} = {_value(name, kind)}" for name, kind in self.columns.items() if name != self.key)
        return (
            f"UPDATE {self.table} AS t SET {sets} FROM unnest({arrays}) AS u ({', '.join(self.columns)}) "
            f"WHERE t.{self.key} = u.{self.key}"
        )

    def arrays(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, list]:
        """The statement's parameters for `rows` (each keyed by column name): one array per column."""
        return _arrays(self.columns, rows, "")

    def json_sql(self, param: str = "rows") -> str:
        """The same statement with every row in one parameter `param`, a JSON array of objects
        keyed by column name (`json_rows`), which PostgreSQL unpacks with `jsonb_to_recordset`
        into the columns' types. A jsonb value is any JSON value there (its JSON null is SQL NULL,
        as None is in `sql()`'s form)."""
        record = ", ".join(f"{name} {kind}" for name, kind in self.columns.items())
        sets = ", ".join(f"{name} = u.{name}" for name in self.columns if name != self.key)
        return (
            f"UPDATE {self.table} AS t SET {sets} FROM jsonb_to_recordset(CAST(CAST(:{param} AS text) AS jsonb)) "
            f"AS u ({record}) WHERE t.{self.key} = u.{self.key}"
        )

    def json_rows(self, rows: Sequence[Mapping[str, Any]], param: str = "rows") -> dict[str, str]:
        """`json_sql`'s parameter for `rows` (each keyed by column name, holding at most the
        columns): str, int, float, bool, None, datetimes (naive ones taken as UTC, as asyncpg takes
        them), Decimals (as text, read back exactly), and lists and dicts of those. A jsonb value
        is the value itself: a str is a JSON string there, not JSON text as in `arrays`."""
        return {param: _json(rows)}
