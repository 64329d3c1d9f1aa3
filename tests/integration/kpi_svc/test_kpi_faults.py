"""kpi-svc under faults, against real PostgreSQL servers and brokers that the tests stop and start:
it is either working or not ready (with the reason, a metric, a log line) and retrying, never
running while applying nothing; afterwards its figures equal an offline recomputation."""

from __future__ import annotations

import asyncio
import uuid

from kpi_stories import all_events, metric_value, readiness, send_events, stories
from kpi_svc.bootstrap import build_app
from kpi_svc.settings import KpiSettings
from orderpulse.events.topics import ALL_TOPICS
from orderpulse.messaging.kafka import ensure_topics
from orderpulse.testing.database import truncate_schema
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import running_app, service_settings
from test_kpi_stream import _offsets_reach, expected, until_figures  # noqa: I001

OUTAGE_S = 8


async def private_settings(infrastructure, *, database_url: str | None = None, kafka_bootstrap: str | None = None) -> KpiSettings:
    prefix = f"f{uuid.uuid4().hex[:8]}."
    settings = service_settings(
        KpiSettings, infrastructure, topic_prefix=prefix, consumer_group=f"kpi-svc-{prefix}", checkpoint_interval_s=0.2,
        stream_retry_max_s=1.0, **({"database_url": database_url} if database_url else {}),
        **({"kafka_bootstrap": kafka_bootstrap, "kafka_enable_idempotence": False} if kafka_bootstrap else {}),
    )
    await truncate_schema(settings.database_url, "kpi_svc")
    await ensure_topics(settings.kafka_bootstrap, [prefix + t for t in ALL_TOPICS], partitions=3)
    return settings


def thirds(told: dict[str, list[dict]]) -> list[list[dict]]:
    names = list(told)
    cut = len(names) // 3
    return [[e for name in part for e in told[name]] for part in (names[:cut], names[cut : 2 * cut], names[2 * cut :])]


async def not_ready_because(client, words: str) -> dict:
    async def check():
        status, checks = await readiness(client)
        return checks if status == 503 and words in str(checks.get("stream")) else None

    return await eventually(check)


async def ready(client) -> bool:
    async def check():
        status, checks = await readiness(client)
        return status == 200 and checks["stream"] == "ok"

    return await eventually(check, timeout_s=60)


async def test_postgres_stopped_mid_stream_and_at_start_then_the_figures_are_exact(infrastructure, stoppable_postgres):
    settings = await private_settings(infrastructure, database_url=stoppable_postgres.url())
    first, second, third = thirds(stories("pg"))
    await send_events(settings, first)
    async with running_app(build_app(settings)) as client:
        await until_figures(client, expected(settings, first))
        await ready(client)
        stoppable_postgres.stop()
        try:
            await send_events(settings, second)
            checks = await not_ready_because(client, "checkpoint failing")
            assert "stream" in checks and checks["database"] == "unavailable"
            assert metric_value((await client.get("/metrics")).text, "orderpulse_kpi_stream_up") == 0
            await asyncio.sleep(OUTAGE_S)  # the outage lasts; the stream keeps retrying
            assert (await readiness(client))[0] == 503
        finally:
            stoppable_postgres.start()
        await ready(client)
        await until_figures(client, expected(settings, first + second))
        await eventually(lambda: _offsets_reach(settings, len(first + second)))  # the held deltas were written
        assert metric_value((await client.get("/metrics")).text, "orderpulse_kpi_stream_up") == 1

    stoppable_postgres.stop()  # down while a new replica restores its partitions
    try:
        await send_events(settings, third)
        restarted = build_app(settings)
        async with running_app(restarted) as client:
            await not_ready_because(client, "restore failing")
            assert restarted.state.stream.applied == 0  # nothing applied, nothing skipped
            stoppable_postgres.start()
            await ready(client)
            await until_figures(client, expected(settings, first + second + third))
            assert restarted.state.stream.applied == len(third)
    finally:
        if stoppable_postgres.process is None:
            stoppable_postgres.start()


async def test_a_broker_restarted_empty_is_detected_and_new_events_are_counted(infrastructure, kpi_schema, stoppable_broker):
    settings = await private_settings(infrastructure, kafka_bootstrap=stoppable_broker.bootstrap)
    told = stories("rb")
    names = list(told)
    before = [e for name in names[:-6] for e in told[name]]  # most orders
    few = [e for name in names[-6:-3] for e in told[name]]  # fewer records than before: logs end before the stored offsets
    more = [e for name in names[-3:] for e in told[name]] + all_events(stories("rc"))  # more: only the event ids tell

    async def restart_broker_and_publish(events: list[dict]) -> None:
        stoppable_broker.stop()
        stoppable_broker.start()
        await ensure_topics(settings.kafka_bootstrap, [settings.topic_prefix + t for t in ALL_TOPICS], partitions=3)
        await send_events(settings, events)

    def resets(body: str) -> float:
        return sum(metric_value(body, "orderpulse_kpi_topic_resets_total", topic=topic) or 0 for topic in ALL_TOPICS)

    await send_events(settings, before)
    async with running_app(build_app(settings)) as client:
        await until_figures(client, expected(settings, before))
        resets_before = resets((await client.get("/metrics")).text)
    for published, events in ((before + few, few), (before + few + more, more)):
        await restart_broker_and_publish(events)
        async with running_app(build_app(settings)) as client:
            await until_figures(client, expected(settings, published))
            await ready(client)
            resets_now = resets((await client.get("/metrics")).text)
        assert resets_now > resets_before  # detected, said so, and recovered
        resets_before = resets_now
