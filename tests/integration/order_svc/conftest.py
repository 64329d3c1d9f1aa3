"""order-svc against the real PostgreSQL and broker: the schema is migrated once, emptied before each test."""

from __future__ import annotations

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from order_svc.bootstrap import build_app
from order_svc.manifest import MANIFEST
from order_svc.settings import OrderSettings
from orderpulse.db.migrations import upgrade
from orderpulse.testing.database import plain_dsn, truncate_schema
from orderpulse.testing.service import running_app, service_settings


@pytest.fixture(scope="session")
def order_schema(infrastructure, kafka_topics) -> str:
    upgrade(MANIFEST.migrations, infrastructure.database_url, MANIFEST.schema)
    return MANIFEST.schema


@pytest.fixture
async def clean_schema(infrastructure, order_schema) -> str:
    await truncate_schema(infrastructure.database_url, order_schema)
    return order_schema


@pytest.fixture
def settings(infrastructure, clean_schema) -> OrderSettings:
    return service_settings(OrderSettings, infrastructure)


@pytest.fixture
async def client(settings):
    """The app running with its relay and consumer, and an HTTP client bound to it."""
    async with running_app(build_app(settings)) as http:
        yield http


@pytest.fixture
async def db(infrastructure, clean_schema):
    """A plain connection to order-svc's schema, to look at what the service stored."""
    connection = await asyncpg.connect(plain_dsn(infrastructure.database_url))
    await connection.execute(f'SET search_path TO "{clean_schema}"')
    yield connection
    await connection.close()


@pytest.fixture
async def producer(infrastructure):
    """Publishes what other services would (fulfillment, notifications, feedback)."""
    kafka = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap, acks="all")
    await kafka.start()
    yield kafka
    await kafka.stop()
