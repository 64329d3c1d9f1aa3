"""order-svc and fulfillment-svc together, each on its own schema of the real PostgreSQL, talking
through the real broker: what one service tells the other, end to end, without stand-in events."""

from __future__ import annotations

import uuid

import pytest
from fulfillment_svc.manifest import MANIFEST as FULFILLMENT
from fulfillment_svc.settings import FulfillmentSettings
from order_svc.manifest import MANIFEST as ORDERS
from order_svc.settings import OrderSettings
from orderpulse.db.migrations import upgrade
from orderpulse.testing.consumer_groups import start_groups_at_end
from orderpulse.testing.database import truncate_schema
from orderpulse.testing.service import service_settings


@pytest.fixture(scope="session")
def both_schemas(infrastructure, kafka_topics) -> tuple[str, str]:
    upgrade(ORDERS.migrations, infrastructure.database_url, ORDERS.schema)
    upgrade(FULFILLMENT.migrations, infrastructure.database_url, FULFILLMENT.schema)
    return ORDERS.schema, FULFILLMENT.schema


@pytest.fixture(autouse=True)
async def groups_at_end(infrastructure, kafka_topics) -> None:
    """Both services' groups start where the shared topics end: order-svc's consumer would otherwise
    first work through every fulfillment fact earlier tests of this process left (orders it does not
    know: each retried, then dead-lettered), which under load took longer than a test waits."""
    await start_groups_at_end(infrastructure.kafka_bootstrap, [ORDERS.name, FULFILLMENT.name], kafka_topics)


@pytest.fixture
def suffix() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
async def order_settings(infrastructure, both_schemas) -> OrderSettings:
    await truncate_schema(infrastructure.database_url, both_schemas[0])
    return service_settings(OrderSettings, infrastructure)


@pytest.fixture
async def fulfillment_settings(infrastructure, both_schemas, suffix) -> FulfillmentSettings:
    await truncate_schema(infrastructure.database_url, both_schemas[1])
    return service_settings(FulfillmentSettings, infrastructure, default_warehouse_id=f"wh-{suffix}")
