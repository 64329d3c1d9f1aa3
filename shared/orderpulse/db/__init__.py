"""Database plumbing: the SQLAlchemy engine and sessions (`engine`), asyncpg connections alone
(`direct`), what a failure means (`errors`), platform tables, migrations. Nothing is imported
here: a process on asyncpg alone (kpi-svc) must not load SQLAlchemy by importing this package."""
