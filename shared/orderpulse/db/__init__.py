"""Database plumbing: async engine and sessions, platform tables, migrations."""

from orderpulse.db.engine import create_engine, create_session_factory, is_unavailable_error

__all__ = ["create_engine", "create_session_factory", "is_unavailable_error"]
