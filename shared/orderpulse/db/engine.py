"""Async SQLAlchemy engine and session factory for one service's schema."""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def create_engine(database_url: str, *, schema: str | None = None, pool_size: int = 10) -> AsyncEngine:
    """An asyncpg engine whose connections search `schema` first, so SQL names need no prefix."""
    connect_args: dict = {"command_timeout": 30}
    if schema:
        connect_args["server_settings"] = {"search_path": f"{schema},public"}
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=5,
        connect_args=connect_args,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class ConnectionLost(ConnectionError):
    """A pooled connection turned out to be closed by the database under a statement (retry later)."""


_UNAVAILABLE = (
    ConnectionError,
    OSError,
    TimeoutError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
)


def is_unavailable_error(error: BaseException) -> bool:
    """True when the database could not be reached (retry later), not when a statement was wrong."""
    if isinstance(error, sa_exc.TimeoutError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        original = getattr(error.orig, "__cause__", None) or error.orig
        return isinstance(original, _UNAVAILABLE) or isinstance(error.orig, _UNAVAILABLE)
    return isinstance(error, _UNAVAILABLE)


# serialization_failure, deadlock_detected, lock_not_available: the same work succeeds when redone
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def sqlstate_of(error: BaseException) -> str | None:
    """The PostgreSQL SQLSTATE behind an error (SQLAlchemy, its asyncpg adapter or asyncpg), if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str):
            return state
        current = getattr(current, "orig", None) or current.__cause__
    return None


def is_transient_error(error: BaseException) -> bool:
    """True when redoing the whole transaction later will most likely succeed: a deadlock, a
    serialization failure, a lock not granted in time, or the database being unreachable."""
    return is_unavailable_error(error) or sqlstate_of(error) in TRANSIENT_SQLSTATES
