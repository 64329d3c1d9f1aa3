"""The engine's pool hands out only live connections, without SQLAlchemy's pre-ping round trips:
a connection the database closed while it sat in the pool is replaced at checkout, and one idle
for long is pinged first (`orderpulse.db.engine._check_out`); connections opened for a burst are
kept for the next one, up to the engine's cap."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
from orderpulse.db import engine as engine_module
from orderpulse.db.engine import create_engine
from orderpulse.testing.database import plain_dsn
from sqlalchemy import exc as sa_exc
from sqlalchemy import text


async def _pooled_backend(engine) -> tuple[int, asyncpg.Connection]:
    """The backend pid of the pool's one connection, and that asyncpg connection."""
    async with engine.connect() as connection:
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
        raw = (await connection.get_raw_connection()).driver_connection
    return pid, raw


async def _terminate(database_url: str, pid: int) -> None:
    killer = await asyncpg.connect(plain_dsn(database_url))
    try:
        assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await killer.close()


async def _until(condition, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never held")
        await asyncio.sleep(0.02)


async def test_a_pooled_connection_the_database_closed_is_replaced_at_checkout(database_url: str):
    engine = create_engine(database_url, pool_size=1)
    try:
        pid, raw = await _pooled_backend(engine)
        await _terminate(database_url, pid)
        await _until(raw.is_closed)  # the event loop saw the socket close while it sat in the pool
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        await engine.dispose()


async def test_a_connection_idle_for_long_is_pinged_and_replaced_when_dead(
    database_url: str, monkeypatch: pytest.MonkeyPatch
):
    engine = create_engine(database_url, pool_size=1)
    try:
        pid, _raw = await _pooled_backend(engine)
        monkeypatch.setattr(engine_module, "PING_IF_IDLE_S", -1.0)  # every connection counts as idle for long
        await _terminate(database_url, pid)  # checked out at once: asyncpg may not know yet, the ping finds out
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        await engine.dispose()


async def _backends_of_a_burst(engine, size: int) -> set[int]:
    """The backend pids of `size` connections checked out at once."""
    connections = [await engine.connect() for _ in range(size)]
    try:
        return {await connection.scalar(text("SELECT pg_backend_pid()")) for connection in connections}
    finally:
        for connection in connections:
            await connection.close()


async def test_connections_opened_for_a_burst_are_kept_for_the_next_burst(database_url: str):
    engine = create_engine(database_url, pool_size=2)
    try:
        first = await _backends_of_a_burst(engine, 4)  # twice the pool size: the most it opens
        assert len(first) == 4
        assert await _backends_of_a_burst(engine, 4) == first  # no session closed and opened again
        assert engine.pool.checkedin() == 4
    finally:
        await engine.dispose()


async def test_the_engine_opens_at_most_twice_its_pool_size(database_url: str):
    engine = create_engine(database_url, pool_size=1)
    try:
        held = [await engine.connect() for _ in range(2)]
        with pytest.raises(sa_exc.TimeoutError):  # the pool's own wait for a connection gives up
            await engine.connect()
        for connection in held:
            await connection.close()
    finally:
        await engine.dispose()
