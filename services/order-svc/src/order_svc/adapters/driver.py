"""Direct asyncpg connections for the few hot statements written by hand.

Each such statement runs alone in autocommit: it is its own transaction. Helpers turn a table's
rows into `$n::type` placeholders and values (JSONB sent as text, cast in SQL).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import asyncpg
import orjson
from orderpulse.db.engine import ConnectionLost, is_unavailable_error
from sqlalchemy import Column, Table, make_url
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import BigInteger, Boolean, DateTime, Integer, Numeric, Text


async def _keep_as_is(_connection: asyncpg.Connection) -> None:
    """No reset round trip when a connection goes back: these statements leave no session state
    (no LISTEN, SET, advisory lock or open transaction; a failed statement rolls itself back)."""


class DirectConnections:
    """A small asyncpg pool for the hand-written statements of the hottest route, beside SQLAlchemy's.

    SQLAlchemy's pool pings every connection it hands out (BEGIN, a ping, ROLLBACK: three round
    trips); a statement sent alone, in autocommit, needs none of that. Without the ping, a pooled
    connection can be dead when handed out: PostgreSQL sends its idle connections a FATAL error
    when it shuts down, and until asyncpg has also read the end of the stream such a connection
    looks open, its protocol stuck waiting for a ReadyForQuery that never comes. Its statement
    then fails (`InternalClientError: cannot switch to state 12; another operation (2) is in
    progress`): `fetchrow`, `fetchval` and `acquire` answer that with `ConnectionLost` (a 503)
    and terminate the connection, as they terminate any connection whose statement failed or
    was cancelled.
    """

    def __init__(self, database_url: str, *, schema: str, size: int, acquire_timeout_s: float = 5.0) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._schema = schema
        self._size = size
        self._timeout_s = acquire_timeout_s
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        """`query`'s first row, on a pooled connection taken for it alone (see `acquire`)."""
        return await self._run(asyncpg.Connection.fetchrow, query, args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        """`query`'s first value, on a pooled connection taken for it alone (see `acquire`)."""
        return await self._run(asyncpg.Connection.fetchval, query, args)

    async def _run(self, method, query: str, args: tuple) -> Any:
        connection = await self._take()
        try:
            return await method(connection, query, *args)
        except BaseException as error:
            self._discard(connection, error)
            raise
        finally:
            await self._give_back(connection)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for the block; it goes back to the pool only if the block ends without an error.

        After an error or a cancellation the connection's protocol state is unknown (a statement
        may still be running, or the server may have closed it), so it is terminated, never
        handed to the next request. One the database had closed while it sat in the pool fails
        with `ConnectionLost` (a 503), whatever asyncpg called the failure.
        """
        connection = await self._take()
        try:
            yield connection
        except BaseException as error:
            self._discard(connection, error)
            raise
        finally:
            await self._give_back(connection)

    async def _take(self) -> asyncpg.Connection:
        pool = self._pool or await self._start()
        async with asyncio.timeout(self._timeout_s):  # cheaper than asyncpg's wait_for (no extra task)
            return await pool.acquire()

    @staticmethod
    def _discard(connection: asyncpg.Connection, error: BaseException) -> None:
        """Terminate a connection whose statement failed; raise `ConnectionLost` if it was dead."""
        lost = connection.is_closed()
        connection.terminate()
        if lost and isinstance(error, Exception) and not is_unavailable_error(error):
            raise ConnectionLost("the database closed this connection") from error

    async def _give_back(self, connection: asyncpg.Connection) -> None:
        if self._pool is not None:
            await self._pool.release(connection)  # a terminated one is back already: nothing happens

    async def _start(self) -> asyncpg.Pool:
        async with self._lock:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=0, max_size=self._size, command_timeout=30,
                    server_settings={"search_path": f"{self._schema},public"}, reset=_keep_as_is,
                )
            return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def json_text(value: Any) -> str | None:
    """A JSONB value as text for `$n::text::jsonb` (None stays SQL NULL)."""
    return None if value is None else orjson.dumps(value).decode()


_TYPES = ((JSONB, "jsonb"), (BigInteger, "int8"), (Integer, "int4"), (Numeric, "numeric"), (DateTime, "timestamptz"),
          (Boolean, "bool"), (Text, "text"))


def sql_type(column: Column) -> str:
    for python_type, name in _TYPES:
        if isinstance(column.type, python_type):
            return name
    raise TypeError(f"no SQL type known for {column}")


@lru_cache(maxsize=32)
def _json_columns(table: Table) -> frozenset[str]:
    return frozenset(c.name for c in table.columns if sql_type(c) == "jsonb")


def row_values(table: Table, row: dict[str, Any]) -> list[Any]:
    """`row` in the table's column order, JSONB as text."""
    json_columns = _json_columns(table)
    return [json_text(row[c.name]) if c.name in json_columns else row[c.name] for c in table.columns if c.name in row]


def placeholders(table: Table, first: int, row_keys) -> tuple[list[str], list[str]]:
    """Column names and `$n::type` placeholders (JSONB sent as text) for the columns in `row_keys`."""
    names, marks = [], []
    for column in table.columns:
        if column.name in row_keys:
            kind = sql_type(column)
            names.append(column.name)
            marks.append(f"${first + len(marks)}::text::jsonb" if kind == "jsonb" else f"${first + len(marks)}::{kind}")
    return names, marks
