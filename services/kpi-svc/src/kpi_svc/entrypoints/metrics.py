"""kpi-svc's Prometheus metrics (names of kpis.md). Counters and histograms count what this
process applied (not checkpointed: they restart at zero, as Prometheus expects of counters);
the ratio / numerator / denominator gauges are computed at scrape time over all partitions."""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

SECONDS_BUCKETS = (1, 5, 30, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 5 * 86400, 7 * 86400, 14 * 86400)
LATENCY_BUCKETS = (0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 86400)

delivered = Counter("orderpulse_orders_delivered_total", "Orders delivered (scored once, when first delivered).", ["carrier", "tier"])
perfect = Counter("orderpulse_orders_perfect_total", "Delivered orders perfect as first known.", ["carrier", "tier"])
component_failures = Counter(
    "orderpulse_order_component_failures_total", "Orders failing a perfect-order component (once per order and component).",
    ["component", "carrier", "tier"],
)
revisions = Counter("orderpulse_order_verdict_revisions_total", "Component verdicts revised after scoring.", ["component"])
processing = Histogram("orderpulse_order_processing_seconds", "Placed to delivered.", ["tier"], buckets=SECONDS_BUCKETS)
entry = Histogram("orderpulse_order_entry_seconds", "Requested to placed.", ["channel"], buckets=LATENCY_BUCKETS)
time_to_ship = Histogram("orderpulse_order_time_to_ship_seconds", "Placed to first dispatch.", ["warehouse"], buckets=SECONDS_BUCKETS)
notification_latency = Histogram(
    "orderpulse_notification_latency_seconds", "Trigger event to notification sent.", ["channel", "milestone"], buckets=LATENCY_BUCKETS
)
survey_responses = Counter("orderpulse_survey_responses_total", "Survey responses by csat score.", ["csat"])
sla_breaches = Counter("orderpulse_issue_sla_breaches_total", "Issue clocks that passed.", ["clock", "category"])
events = Counter("orderpulse_kpi_events_total", "Records kpi-svc applied, by topic.", ["topic"])
duplicates = Counter("orderpulse_kpi_duplicate_events_total", "Records kpi-svc recognised as duplicates, by topic.", ["topic"])
stream_up = Gauge("orderpulse_kpi_stream_up", "1 while kpi-svc's stream applies and checkpoints records, 0 while it is failing or starting.")
stream_failures = Counter(
    "orderpulse_kpi_stream_failures_total", "Failures of kpi-svc's stream by stage (start, restore, checkpoint, stream).", ["stage"]
)
topic_resets = Counter(
    "orderpulse_kpi_topic_resets_total", "Topic-partitions found reset (shorter than, or different from, the stored offsets).", ["topic"]
)


_COUNTED = {"component_failure": component_failures, "revision": revisions, "survey_response": survey_responses,
            "issue_sla_breach": sla_breaches}
_OBSERVED = {"processing_seconds": processing, "entry_seconds": entry, "time_to_ship_seconds": time_to_ship,
             "notification_latency_seconds": notification_latency}
_children: dict[tuple, object] = {}  # (metric, label values) -> child: labels() costs ~1 µs a call


def _child(metric, labels: tuple):
    child = _children.get((metric, labels))
    if child is None:
        child = _children[(metric, labels)] = metric.labels(*labels)
    return child


def _observe_all(child, amounts: list[float]) -> None:
    """`child.observe(amount)` for each amount, in one pass: each bucket's count incremented once
    by how many fell in it, the sum set once to what adding them one by one gives (the same
    float). `observe` takes two locks and scans the bounds for every sample: at the end of a
    replay, ~7 samples for each of tens of thousands of orders (docs/kpi-decisions.md, "Speed")."""
    try:  # prometheus_client's Histogram child (0.2x): bounds ending with +Inf, a value per bucket, the sum
        bounds, buckets, summed = child._upper_bounds, child._buckets, child._sum
    except AttributeError:  # a prometheus_client whose insides differ: its public API, one sample at a time
        for amount in amounts:
            child.observe(amount)
        return
    counts = [0] * len(bounds)
    total = summed.get()
    for amount in amounts:
        total += amount
        if amount == amount:  # NaN: in no bucket, as observe does
            counts[bisect_left(bounds, amount)] += 1
    summed.set(total)
    for bucket, count in zip(buckets, counts, strict=True):
        if count:
            bucket.inc(count)


def record_observations(observations: list[tuple]) -> None:
    """Feed what engines drained (engine.drain_observations) to the counters and histograms:
    counter increments summed per label set first (one inc each), histogram samples gathered
    per child first (one pass each: _observe_all)."""
    counts: dict[tuple, int] = {}
    samples: dict[object, list[float]] = {}
    for item in observations:
        kind = item[0]
        histogram = _OBSERVED.get(kind)
        if histogram is not None:
            child = _child(histogram, item[1:-1])
            held = samples.get(child)
            if held is None:
                samples[child] = [item[-1]]
            else:
                held.append(item[-1])
        elif kind == "order_delivered":
            _, carrier, tier, is_perfect = item
            key = (delivered, (carrier, tier))
            counts[key] = counts.get(key, 0) + 1
            if is_perfect:
                key = (perfect, (carrier, tier))
                counts[key] = counts.get(key, 0) + 1
        else:
            counter = _COUNTED.get(kind)
            if counter is not None:
                key = (counter, item[1:])
                counts[key] = counts.get(key, 0) + 1
    for (counter, labels), amount in counts.items():
        _child(counter, labels).inc(amount)
    for child, amounts in samples.items():
        _observe_all(child, amounts)


class KpiGaugeCollector:
    """The exact event-time figures, computed at scrape time by the figures source of the app that
    runs (`attach`); scrapes within `max_age_s` of a computation reuse it (several scrapers cost
    one computation; a scrape sees figures at most that old on top of the stream's own lag)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._source: Callable[[], list] | None = None
        self._max_age_s = 0.0
        self._clock = clock
        self._cached: tuple[float, list] | None = None

    def attach(self, source: Callable[[], list] | None, max_age_s: float = 0.0) -> None:
        self._source, self._max_age_s, self._cached = source, max_age_s, None

    def describe(self) -> list:
        """The families' names, without figures: the registry then knows them, so `/metrics?name[]=`
        can ask for them (and a clash with another metric's name is refused at registration)."""
        return _empty_families()

    def collect(self):
        if self._source is None:
            return []
        now = self._clock()
        if self._cached is not None and now - self._cached[0] < self._max_age_s:
            return self._cached[1]
        families = self._source()
        self._cached = (now, families)
        return families


# the families the collector exports: name, help, labels
_GAUGES = (
    ("orderpulse_kpi_ratio", "KPI value over the window (event time).", ["kpi", "window"]),
    ("orderpulse_kpi_numerator", "KPI numerator over the window.", ["kpi", "window"]),
    ("orderpulse_kpi_denominator", "KPI denominator over the window.", ["kpi", "window"]),
    ("orderpulse_kpi_target_ratio", "KPI target.", ["kpi"]),
    ("orderpulse_kpi_freshness_seconds", "Now minus the time of the newest event applied.", []),
    ("orderpulse_kpi_open_orders", "Orders this replica holds in memory (not yet settled and evicted): memory grows with them.", []),
)


def _empty_families() -> list:
    return [GaugeMetricFamily(name, documentation, labels=labels) for name, documentation, labels in _GAUGES]


def gauge_families(reports: dict[str, dict], targets: dict[str, float | None], freshness_s: float | None,
                   open_orders: int) -> list:
    families = _empty_families()
    ratio, numerator, denominator, target, freshness, held = families
    for window, report in reports.items():
        for kpi, figure in report["kpis"].items():
            if figure["value"] is not None:
                ratio.add_metric([kpi, window], figure["value"])
            numerator.add_metric([kpi, window], figure["numerator"])
            denominator.add_metric([kpi, window], figure["denominator"])
    for kpi, value in targets.items():
        if value is not None:
            target.add_metric([kpi], value)
    if freshness_s is not None:
        freshness.add_metric([], freshness_s)
    held.add_metric([], open_orders)
    return families


gauges = KpiGaugeCollector()
REGISTRY.register(gauges)
