"""/metrics of kpi-svc: every metric name of kpis.md's table, and valid for promtool."""

from __future__ import annotations

import subprocess
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from kpi_stories import all_events, metric_value, stories
from kpi_svc.bootstrap import build_app
from orderpulse.events.topics import ORDERS
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import running_app
from test_kpi_stream import expected, until_figures  # noqa: I001

PROMTOOL = Path(__file__).parents[3] / ".tools" / "prometheus" / "usr" / "bin" / "promtool"
KPIS_MD_METRICS = (
    "orderpulse_kpi_ratio", "orderpulse_kpi_numerator", "orderpulse_kpi_denominator", "orderpulse_kpi_target_ratio",
    "orderpulse_orders_delivered_total", "orderpulse_orders_perfect_total", "orderpulse_order_component_failures_total",
    "orderpulse_order_verdict_revisions_total", "orderpulse_order_processing_seconds", "orderpulse_order_entry_seconds",
    "orderpulse_order_time_to_ship_seconds", "orderpulse_notification_latency_seconds", "orderpulse_survey_responses_total",
    "orderpulse_issue_sla_breaches_total", "orderpulse_kpi_events_total", "orderpulse_kpi_duplicate_events_total",
    "orderpulse_kpi_freshness_seconds",
)


async def test_metrics_hold_every_kpi_metric_and_pass_promtool(settings, publish):
    events = all_events(stories("m"))
    events += [events[0]]  # one duplicate
    events.append(stories("m2")["ord-m2-claimed"][-1])  # a claim for an order not told: still counted
    await publish(events)
    async with running_app(build_app(settings)) as client:
        await until_figures(client, expected(settings, events))
        body = await eventually(lambda: _lag_exported(client, settings))  # every partition of every topic read: 0
    # lag and records per topic like every other consumer, and the offsets committed to the group
    orders_topic = settings.topic_prefix + ORDERS
    assert metric_value(body, "orderpulse_consumer_records_total", service="kpi-svc", topic=orders_topic, outcome="applied") > 0
    assert metric_value(body, "orderpulse_consumer_records_total", service="kpi-svc", topic=orders_topic, outcome="duplicate") >= 1
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=settings.group_id, enable_auto_commit=False)
    await reader.start()  # never subscribes: only reads the group's committed offsets
    try:
        committed = [await reader.committed(TopicPartition(topic, p)) for topic in settings.topics for p in range(3)]
    finally:
        await reader.stop()
    assert sum(offset or 0 for offset in committed) == len(events)
    for window in ("5m", "30m", "6h", "3d"):  # the burn-rate windows of kpis.md
        assert f'orderpulse_kpi_denominator{{kpi="perfect_order",window="{window}"}}' in body
    assert 'orderpulse_kpi_target_ratio{kpi="perfect_order_multiplicative"}' not in body  # a value KPI: no default target
    # a family is exposed (its TYPE line) even before its first sample
    missing = [name for name in KPIS_MD_METRICS if f"# TYPE {name} " not in body]
    assert missing == []
    assert 'orderpulse_kpi_ratio{kpi="perfect_order",window="30d"}' in body
    # what memory grows with (quality.md's bar is per open order): every order told, less those settled and evicted
    told = {event["data"]["order_id"] for event in events if "order_id" in event["data"]}
    assert 1 <= metric_value(body, "orderpulse_kpi_open_orders") <= len(told)
    check = subprocess.run([str(PROMTOOL), "check", "metrics"], input=body.encode(), capture_output=True, timeout=30)
    assert check.returncode == 0, check.stderr.decode() + check.stdout.decode()


async def _lag_exported(client, settings) -> str | None:
    body = (await client.get("/metrics")).text
    lags = [
        metric_value(body, "orderpulse_consumer_lag", service="kpi-svc", topic=topic, partition=str(p))
        for topic in settings.topics for p in range(3)
    ]
    return body if lags == [0] * len(lags) else None
