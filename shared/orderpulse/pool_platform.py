"""The platform on asyncpg connections alone, for a service that needs no SQLAlchemy: no outbox
relay, idempotent consumer or due-work loops (those run on the engine's sessions, in
`orderpulse.runtime.Platform`), only a pool of connections for its own statements, the Kafka
producer (its dead letters), readiness and the lifespan (`orderpulse.platform_base`).

kpi-svc runs on it: its process never loads SQLAlchemy, ~30 MB of its resident set at start
(docs/platform.md). Its migrations still use Alembic, in a step of their own (`orderpulse migrate`).
"""

from __future__ import annotations

from orderpulse.db.direct import MAX_CONNECTIONS_PER_SIZE, DirectConnections
from orderpulse.platform_base import BasePlatform
from orderpulse.settings import PlatformSettings


class PoolPlatform(BasePlatform):
    # the most PostgreSQL connections it holds, per unit of `database_pool_size`: its pool's
    MAX_CONNECTIONS_PER_POOL_SIZE = MAX_CONNECTIONS_PER_SIZE

    def __init__(self, settings: PlatformSettings) -> None:
        super().__init__(settings)
        self.connections = DirectConnections(
            settings.database_url, schema=settings.db_schema, size=settings.database_pool_size
        )

    async def database_ready(self) -> bool:
        await self.connections.fetchval("SELECT 1")
        return True

    async def _close_database(self) -> None:
        await self.connections.close()
