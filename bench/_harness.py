"""Shared by the benchmarks: infrastructure, repetitions, and how figures are printed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator

import httpx
from orderpulse import event_loop
from orderpulse.testing.infrastructure import BackendChoice, Infrastructure, start_infrastructure


@contextlib.contextmanager
def infrastructure() -> Iterator[Infrastructure]:
    """Embedded PostgreSQL + Tansu unless ORDERPULSE_TEST_DATABASE_URL / _KAFKA_BOOTSTRAP point elsewhere."""
    choice = BackendChoice(
        database="external" if os.environ.get("ORDERPULSE_TEST_DATABASE_URL") else "embedded",
        kafka="external" if os.environ.get("ORDERPULSE_TEST_KAFKA_BOOTSTRAP") else "embedded",
    )
    with start_infrastructure(os.environ, choice) as infra:
        yield infra


LOOPS = event_loop.LOOPS


def add_loop_option(parser) -> None:
    """`--loop`: the event loop the service code measured in this process (and its baseline) runs on;
    without it, the loop that service runs on (`resolve_loop`)."""
    parser.add_argument(
        "--loop", choices=LOOPS, default=None,
        help="default: the loop the measured service runs on (orderpulse.event_loop.SERVICE_LOOPS; uvloop for "
             "platform code of no one service); uvloop or asyncio (the standard library's loop, as these "
             "benchmarks ran before 2026-12-07 evening) to compare",
    )


def add_service_loop_option(parser) -> None:
    """`--loop` for the benchmarks that start services under uvicorn: passed on as `uvicorn --loop`, to the
    service processes and to their bare baseline alike; without it, each service's own loop."""
    parser.add_argument(
        "--loop", choices=LOOPS, default=None,
        help="the loop uvicorn runs the services and the baseline on (`uvicorn --loop`); default: each "
             "service's own (orderpulse.event_loop.SERVICE_LOOPS), the baseline on the measured service's",
    )


def resolve_loop(loop: str | None, service: str | None = None) -> str:
    """`--loop` as given, else the loop `service` runs on, else (platform code of no one service) uvloop."""
    if loop is not None:
        return loop
    return event_loop.loop_of(service) if service is not None else "uvloop"


def uvicorn_loop(loop: str) -> list[str]:
    """uvicorn's options that run its app on `loop` (one of LOOPS)."""
    return ["--loop", loop]


def run_on_loop(main: Coroutine, loop: str = "uvloop"):
    """`main` run to its end on `loop` (see `add_loop_option`; uvloop through `orderpulse.event_loop`,
    as the simulator runs), as `asyncio.run` would."""
    if loop not in LOOPS:
        raise ValueError(f"unknown loop {loop!r}: one of {LOOPS}")
    return event_loop.run(main) if loop == "uvloop" else asyncio.run(main)


async def wait_ready(urls: dict[str, str], timeout_s: float = 120) -> None:
    """Until every service answers 200 on `/readyz` (name -> base URL)."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2.0) as client:
        for name, url in urls.items():
            while True:
                try:
                    if (await client.get(url + "/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready")
                await asyncio.sleep(0.3)


def machine() -> str:
    return f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()}"


async def repeat(runs: int, once: Callable[[], Awaitable[int]]) -> list[float]:
    """Rates (items per second) of `runs` runs of `once`, which returns how many items it handled."""
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        items = await once()
        rates.append(items / (time.perf_counter() - started))
    return rates


def describe(name: str, rates: list[float]) -> str:
    median = statistics.median(rates)
    return f"{name:<44} median {median:>10,.0f}/s   min {min(rates):>10,.0f}   max {max(rates):>10,.0f}   (n={len(rates)})"


def service_env(infra: Infrastructure, service: str, *, idempotence: bool = False, **settings: str) -> dict[str, str]:
    """The environment of a service process the benchmarks start: this process's environment
    without any ORDERPULSE_ setting, then the infrastructure's addresses, quiet logs, a 6 s
    consumer session (a benchmark's consumer rejoins fast) and `settings` (ORDERPULSE_<NAME>)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERPULSE_")}
    env.update(
        ORDERPULSE_SERVICE_NAME=service,
        ORDERPULSE_DATABASE_URL=infra.database_url,
        ORDERPULSE_KAFKA_BOOTSTRAP=infra.kafka_bootstrap,
        ORDERPULSE_KAFKA_ENABLE_IDEMPOTENCE=str(idempotence).lower(),
        ORDERPULSE_LOG_LEVEL="WARNING",
        ORDERPULSE_CONSUMER_SESSION_TIMEOUT_MS="6000",
    )
    env.update({f"ORDERPULSE_{name.upper()}": value for name, value in settings.items()})
    return env


def prepare_kpi_svc(infra: Infrastructure, topic_prefix: str):
    """kpi-svc's topics under `topic_prefix` (and its dead-letter topic) made, its schema migrated;
    returns its manifest (the app to start, its schema)."""
    from orderpulse.db.migrations import upgrade
    from orderpulse.events.topics import ALL_TOPICS, DEFAULT_PARTITIONS, dlq_topic
    from orderpulse.messaging.kafka import ensure_topics
    from orderpulse.services import service_named

    manifest = service_named("kpi-svc")
    asyncio.run(ensure_topics(infra.kafka_bootstrap, [topic_prefix + t for t in ALL_TOPICS] + [dlq_topic(manifest.name)],
                              partitions=DEFAULT_PARTITIONS))
    upgrade(manifest.migrations, infra.database_url, manifest.schema)
    return manifest
