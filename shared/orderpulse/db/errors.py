"""What a database failure means, for code on SQLAlchemy's engine and for code on asyncpg alone.

Nothing here imports SQLAlchemy: kpi-svc runs on asyncpg alone (docs/platform.md, "two database
layers"), and its process never loads SQLAlchemy (~30 MB resident). SQLAlchemy's wrappers are
still recognised: an instance of one can only exist once `sqlalchemy.exc` was imported, so
`is_unavailable_error` looks the module up in `sys.modules` instead of importing it.
"""

from __future__ import annotations

import sys

import asyncpg


class ConnectionLost(ConnectionError):
    """A pooled connection turned out to be closed by the database under a statement (retry later)."""


class IdempotencyKeyReused(Exception):
    """The key was used before with a different request body."""


# what a database outage or a transaction conflict raises through asyncpg (OSError covers
# ConnectionError and TimeoutError); the SQLAlchemy engine adds its own base class
# (orderpulse.db.engine.DATABASE_ERRORS)
DRIVER_ERRORS: tuple[type[BaseException], ...] = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)

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
    sa_exc = sys.modules.get("sqlalchemy.exc")  # not loaded: no SQLAlchemy error can exist
    if sa_exc is not None:
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
