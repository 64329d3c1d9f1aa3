"""pytest plugin (`pytest_plugins = ["orderpulse.testing.fixtures"]`): the real infrastructure, once per session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from orderpulse.testing.infrastructure import (
    Infrastructure,
    choose_backends,
    docker_engine_available,
    start_infrastructure,
)


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    """PostgreSQL and Kafka for the whole test session (external, containers or embedded)."""
    choice = choose_backends(os.environ, docker_engine_available)
    with start_infrastructure(os.environ, choice) as infra:
        yield infra


@pytest.fixture
def database_url(infrastructure: Infrastructure) -> str:
    return infrastructure.database_url


@pytest.fixture
def kafka_bootstrap(infrastructure: Infrastructure, kafka_topics: tuple[str, ...]) -> str:
    return infrastructure.kafka_bootstrap


@pytest.fixture
def unique_name() -> str:
    """A fresh suffix for topics, schemas and groups, so tests never see each other's state."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def kafka_topics(infrastructure: Infrastructure) -> tuple[str, ...]:
    """The OrderPulse topics and every service's dead-letter topic exist (12 partitions) before any
    test produces or reads: as in a running stack, no client makes a topic by naming it."""
    import asyncio

    from orderpulse.events.topics import DEFAULT_PARTITIONS
    from orderpulse.messaging.kafka import ensure_topics
    from orderpulse.services import platform_topics

    topics = platform_topics()
    asyncio.run(ensure_topics(infrastructure.kafka_bootstrap, topics, partitions=DEFAULT_PARTITIONS))
    return tuple(topics)
