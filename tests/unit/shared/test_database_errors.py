"""What a database failure means, and asyncpg's DSN from the settings' URL: the parts of the
platform that work without SQLAlchemy (kpi-svc's process never loads it)."""

from __future__ import annotations

import asyncpg
import pytest
from orderpulse.db.direct import asyncpg_dsn
from orderpulse.db.errors import ConnectionLost, is_transient_error, is_unavailable_error


@pytest.mark.parametrize(("url", "dsn"), [
    ("postgresql+asyncpg://postgres@127.0.0.1:5432/orderpulse", "postgresql://postgres@127.0.0.1:5432/orderpulse"),
    ("postgresql+asyncpg://u:p%40ss@db:5432/x?sslmode=require", "postgresql://u:p%40ss@db:5432/x?sslmode=require"),
    ("postgres+asyncpg://u@h/x", "postgresql://u@h/x"),
    ("postgresql://u@h/x", "postgresql://u@h/x"),
])
def test_the_settings_url_becomes_asyncpgs_dsn_with_everything_else_kept(url, dsn):
    assert asyncpg_dsn(url) == dsn


def test_asyncpgs_own_errors_are_classified_without_sqlalchemy():
    assert is_unavailable_error(ConnectionRefusedError(111, "refused"))
    assert is_unavailable_error(ConnectionLost("closed"))
    assert is_unavailable_error(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    assert is_transient_error(asyncpg.exceptions.DeadlockDetectedError("deadlock detected"))
    assert not is_unavailable_error(asyncpg.exceptions.UniqueViolationError("duplicate key value"))
    assert not is_transient_error(asyncpg.exceptions.UniqueViolationError("duplicate key value"))


def test_sqlalchemys_wrappers_are_still_seen_through():
    from sqlalchemy import exc as sa_exc

    wrapped = sa_exc.DBAPIError("SELECT 1", None, ConnectionRefusedError(111, "refused"))
    assert is_unavailable_error(wrapped)
    assert is_unavailable_error(sa_exc.TimeoutError("QueuePool limit reached"))
    assert not is_unavailable_error(sa_exc.DBAPIError("SELECT 1", None, ValueError("bad")))
