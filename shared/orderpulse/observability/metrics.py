"""Platform metrics, defined once. Labels stay low-cardinality: service, topic, route template."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

http_requests_total = Counter(
    "orderpulse_http_requests_total",
    "HTTP requests answered, by route template and status code.",
    ["service", "route", "method", "status"],
)
http_request_duration_seconds = Histogram(
    "orderpulse_http_request_duration_seconds",
    "HTTP request duration by route template.",
    ["service", "route", "method"],
    buckets=LATENCY_BUCKETS_S,
)
outbox_backlog = Gauge(
    "orderpulse_outbox_backlog",
    "Outbox rows written but not yet published to Kafka.",
    ["service"],
)
outbox_published_total = Counter(
    "orderpulse_outbox_published_total",
    "Outbox rows published to Kafka (republished rows after a crash count again).",
    ["service"],
)
outbox_publish_lag_seconds = Histogram(
    "orderpulse_outbox_publish_lag_seconds",
    "Time from an outbox row's commit to its acknowledgement by Kafka (one sample per published batch: its oldest row).",
    ["service"],
    buckets=LATENCY_BUCKETS_S,
)
consumer_records_total = Counter(
    "orderpulse_consumer_records_total",
    "Records a consumer handled, by outcome (applied, duplicate, ignored, dead_lettered).",
    ["service", "topic", "outcome"],
)
consumer_lag = Gauge(
    "orderpulse_consumer_lag",
    "Records between the consumer's position and the partition's high watermark.",
    ["service", "topic", "partition"],
)
dlq_records_total = Counter(
    "orderpulse_dlq_records_total",
    "Records sent to the dead-letter topic.",
    ["service", "topic"],
)
scheduled_runs_total = Counter(
    "orderpulse_scheduled_runs_total",
    "Runs of a service's due-work loops (timers, SLA clocks, sends), by outcome (ok, error).",
    ["service", "loop", "outcome"],
)
