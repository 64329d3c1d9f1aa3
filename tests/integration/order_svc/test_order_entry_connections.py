"""The order entry's own asyncpg pool (`adapters/driver.py`) when connections fail under it.

The PostgreSQL-outage drill once got a 500 from `POST /v1/orders`: `InternalClientError: cannot
switch to state 12; another operation (2) is in progress`. No two operations shared the
connection; it was dead. On a fast shutdown PostgreSQL sends every idle connection a FATAL error
and closes it. asyncpg reads the error first (an idle protocol has no use for it: it waits for a
ReadyForQuery that never comes) and the end of the stream a moment later; in between the
connection looks open, the pool hands it out, and its statement fails that way. Here a relay
holds the end of the stream back, so that moment lasts as long as the test needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
from orderpulse.db.direct import DirectConnections
from orderpulse.db.errors import ConnectionLost, is_unavailable_error
from sqlalchemy import make_url


class HeldCloseRelay:
    """A TCP relay to PostgreSQL that passes every byte both ways at once but, when the server
    closes a connection, keeps the client's side open until the client closes it."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.server_closed = asyncio.Event()
        self._let_close = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[HeldCloseRelay]:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        try:
            yield self
        finally:
            self.let_closes_through()
            self._server.close()
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=10)

    def let_closes_through(self) -> None:
        self._let_close.set()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._tasks.add(asyncio.current_task())
        server_reader, server_writer = await asyncio.open_connection(*self._target)
        await asyncio.gather(self._pump(client_reader, server_writer),
                             self._pump(server_reader, client_writer, hold_close=True))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, hold_close: bool = False) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65_536):
                writer.write(data)
                await writer.drain()
        if hold_close:
            self.server_closed.set()
            closed_by_client = asyncio.ensure_future(writer.wait_closed())
            let_close = asyncio.ensure_future(self._let_close.wait())
            await asyncio.wait([closed_by_client, let_close], return_when=asyncio.FIRST_COMPLETED)
            let_close.cancel()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def _unread_bytes(connection: asyncpg.Connection) -> bool:
    """Whether bytes wait in the connection's socket that asyncpg has not read yet."""
    sock = connection._transport.get_extra_info("socket")  # noqa: SLF001
    with socket.fromfd(sock.fileno(), sock.family, sock.type) as peek:
        try:
            return bool(peek.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except BlockingIOError:
            return False


async def _until(condition, what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout_s} s: {what}"
        await asyncio.sleep(0.01)


@pytest.fixture
async def relay(infrastructure):
    url = make_url(infrastructure.database_url)
    async with HeldCloseRelay(url.host, url.port).running() as running:
        yield running


@pytest.fixture
async def direct(infrastructure, relay, order_schema):
    through_relay = make_url(infrastructure.database_url).set(host="127.0.0.1", port=relay.port)
    connections = DirectConnections(through_relay.render_as_string(hide_password=False), schema=order_schema, size=1)
    yield connections
    relay.let_closes_through()
    await connections.close()


async def _backend_pid(direct: DirectConnections) -> int:
    async with direct.acquire() as connection:
        return await connection.fetchval("SELECT pg_backend_pid()")


async def test_a_pooled_connection_the_database_closed_is_a_connection_lost_and_is_replaced(direct, relay, db):
    first = await _backend_pid(direct)
    # what a fast shutdown does to each idle connection: FATAL 57P01, then the close (held back here)
    assert await db.fetchval("SELECT pg_terminate_backend($1)", first)
    await _until(relay.server_closed.is_set, "the server closed the connection")

    with pytest.raises(ConnectionLost) as refused:
        async with direct.acquire() as connection:
            await _until(lambda: not _unread_bytes(connection), "asyncpg read the FATAL error")
            await connection.fetchval("SELECT 1")
    assert is_unavailable_error(refused.value)  # a 503 with Retry-After, not a 500

    # the pool holds one connection: the dead one was terminated and a new one made
    assert await _backend_pid(direct) != first


async def test_a_connection_whose_statement_failed_is_terminated_not_handed_out_again(direct):
    first = await _backend_pid(direct)
    with pytest.raises(asyncpg.DivisionByZeroError):
        async with direct.acquire() as connection:
            await connection.fetchval("SELECT 1 / 0")
    assert await _backend_pid(direct) != first


async def test_a_connection_whose_statement_was_cancelled_is_terminated_not_handed_out_again(direct, db):
    first = await _backend_pid(direct)

    async def sleep_on_the_database() -> None:
        async with direct.acquire() as connection:
            await connection.fetchval("SELECT pg_sleep(60)")

    sleeping = asyncio.create_task(sleep_on_the_database())
    running = "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep%' AND state = 'active'"
    deadline = time.monotonic() + 10
    while not await db.fetchval(running, first):
        assert time.monotonic() < deadline, "the statement never started"
        await asyncio.sleep(0.01)
    sleeping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeping
    assert await _backend_pid(direct) != first


@pytest.fixture
async def plain(infrastructure, order_schema):
    """The order entry's connections straight to PostgreSQL, one at most; a caller waits 2 s at most."""
    connections = DirectConnections(infrastructure.database_url, schema=order_schema, size=1, acquire_timeout_s=2.0)
    yield connections
    await connections.close()


async def test_a_connection_given_back_is_the_next_one_handed_out(plain):
    assert await _backend_pid(plain) == await _backend_pid(plain)


async def test_no_more_connections_than_the_size_are_opened_and_a_caller_past_it_waits_then_is_refused(plain, db):
    async with plain.acquire() as held:
        pid = await held.fetchval("SELECT pg_backend_pid()")
        with pytest.raises(TimeoutError) as refused:
            await plain.fetchval("SELECT 1")
        assert is_unavailable_error(refused.value)  # a 503 with Retry-After
    assert await _backend_pid(plain) == pid  # the slot the refused caller waited for was never taken


async def test_a_caller_waiting_for_the_only_connection_gets_it_when_it_comes_back(plain):
    ready = asyncio.Event()

    async def hold_until_ready() -> int:
        async with plain.acquire() as connection:
            pid = await connection.fetchval("SELECT pg_backend_pid()")
            await ready.wait()
            return pid

    holder = asyncio.create_task(hold_until_ready())
    await asyncio.sleep(0)  # the holder takes the only slot first
    waiter = asyncio.create_task(plain.fetchval("SELECT pg_backend_pid()"))
    await asyncio.sleep(0)
    assert not waiter.done()
    ready.set()

    assert await holder == await waiter


async def test_after_close_a_statement_opens_a_new_connection_and_one_taken_before_is_closed_when_given_back(plain, db):
    before = await _backend_pid(plain)
    async with plain.acquire() as taken:
        await plain.close()
        assert not taken.is_closed()
    assert taken.is_closed()

    after = await _backend_pid(plain)

    assert after != before
    alive = "SELECT count(*) FROM pg_stat_activity WHERE pid = $1"
    await _until_async(lambda: db.fetchval(alive, before), 0, "the connection from before close() ended")


async def _until_async(read, expected, what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while await read() != expected:
        assert time.monotonic() < deadline, f"not within {timeout_s} s: {what}"
        await asyncio.sleep(0.01)
