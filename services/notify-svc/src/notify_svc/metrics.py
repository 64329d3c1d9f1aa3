"""notify-svc's metrics, defined once. Labels stay low-cardinality: channel, milestone, reason, provider."""

from __future__ import annotations

from orderpulse.observability.metrics import LATENCY_BUCKETS_S
from prometheus_client import Counter, Gauge, Histogram

sent_total = Counter(
    "orderpulse_notifications_sent_total", "Messages sent to a provider and recorded as sent.", ["channel", "milestone"]
)
failed_total = Counter(
    "orderpulse_notifications_failed_total",
    "Failed send attempts; final=\"true\" when no more attempts will be made.",
    ["channel", "final"],
)
suppressed_total = Counter(
    "orderpulse_notifications_suppressed_total",
    "Messages deliberately not sent (or deferred), by reason.",
    ["reason"],
)
retries_total = Counter(
    "orderpulse_notification_retries_total", "Failed sends scheduled for another attempt.", ["channel"]
)
provider_seconds = Histogram(
    "orderpulse_notification_provider_seconds",
    "Time a provider took to accept (or refuse) one message.",
    ["channel", "provider"],
    buckets=LATENCY_BUCKETS_S,
)
queue_lag_seconds = Gauge(
    "orderpulse_notification_queue_lag_seconds",
    "How long the oldest due message of the last sender batch had been waiting (0 when none was due).",
)
courtesy_calls_total = Counter(
    "orderpulse_courtesy_calls_total", "Courtesy calls scheduled and completed.", ["event"]
)
