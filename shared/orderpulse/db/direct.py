"""Direct asyncpg connections, without SQLAlchemy: a small pool of them (`DirectConnections`)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from orderpulse.db.errors import ConnectionLost, is_unavailable_error

_DRIVER_NAME = re.compile(r"^postgres(?:ql)?\+[A-Za-z0-9_]+://")
# the most connections a `DirectConnections` holds, per unit of its `size` (taken, being opened and idle together)
MAX_CONNECTIONS_PER_SIZE = 1


def asyncpg_dsn(database_url: str) -> str:
    """A SQLAlchemy database URL (`postgresql+asyncpg://...`, the settings' form) as asyncpg's DSN."""
    return _DRIVER_NAME.sub("postgresql://", database_url, count=1)


class DirectConnections:
    """A small pool of asyncpg connections: order-svc's for the hand-written statements of its
    hottest route, beside SQLAlchemy's; kpi-svc's for all its statements (orderpulse.pool_platform).

    Its own, not asyncpg's `Pool`: idle connections are a stack, so taking one that is there costs
    no await, no timeout and no task (asyncpg's acquire runs under a timeout, its release under
    `asyncio.shield`; together ~5 % of an order's CPU). Only when all `size` are taken does a
    caller wait, at most `acquire_timeout_s`; opening a connection has the same limit. A
    connection goes back as it is: these statements leave no session state (no LISTEN, SET,
    advisory lock or open transaction; a failed statement rolls itself back).

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
        self._dsn = asyncpg_dsn(database_url)
        self._schema = schema
        self._timeout_s = acquire_timeout_s
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS_PER_SIZE * size)  # one per connection taken or being opened
        self._idle: list[asyncpg.Connection] = []
        self._open: set[asyncpg.Connection] = set()  # opened since the last `close()`

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        """`query`'s first row, on a pooled connection taken for it alone (see `acquire`)."""
        return await self._run(asyncpg.Connection.fetchrow, query, args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        """`query`'s first value, on a pooled connection taken for it alone (see `acquire`)."""
        return await self._run(asyncpg.Connection.fetchval, query, args)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """`query`'s rows, on a pooled connection taken for it alone (see `acquire`)."""
        return await self._run(asyncpg.Connection.fetch, query, args)

    async def execute(self, query: str, *args: Any) -> str:
        """Run `query` (its status, e.g. `DELETE 3`), on a pooled connection taken for it alone (see `acquire`)."""
        return await self._run(asyncpg.Connection.execute, query, args)

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
        if self._slots.locked():
            async with asyncio.timeout(self._timeout_s):
                await self._slots.acquire()
        else:
            await self._slots.acquire()  # a free slot: returns at once
        try:
            while self._idle:
                connection = self._idle.pop()
                if not connection.is_closed():
                    return connection
            async with asyncio.timeout(self._timeout_s):
                connection = await asyncpg.connect(
                    self._dsn, command_timeout=30, server_settings={"search_path": f"{self._schema},public"}
                )
            self._open.add(connection)
            return connection
        except BaseException:
            self._slots.release()
            raise

    @staticmethod
    def _discard(connection: asyncpg.Connection, error: BaseException) -> None:
        """Terminate a connection whose statement failed; raise `ConnectionLost` if it was dead."""
        lost = connection.is_closed()
        connection.terminate()
        if lost and isinstance(error, Exception) and not is_unavailable_error(error):
            raise ConnectionLost("the database closed this connection") from error

    async def _give_back(self, connection: asyncpg.Connection) -> None:
        try:
            if connection.is_closed():  # terminated after a failure: its slot opens a new one when needed
                self._open.discard(connection)
            elif connection in self._open:
                self._idle.append(connection)
            else:  # taken before `close()`
                await connection.close()
        finally:
            self._slots.release()

    async def close(self) -> None:
        """Close the idle connections, and each taken one when it comes back; a later statement opens new ones."""
        idle, self._idle, self._open = self._idle, [], set()
        for connection in idle:
            await connection.close()
