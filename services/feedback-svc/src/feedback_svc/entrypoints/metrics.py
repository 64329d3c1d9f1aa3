"""feedback-svc's Prometheus metrics, defined once. Labels stay low-cardinality (clock, state,
category, csat score): never an order, survey or issue id.

Response rate = `increase(orderpulse_feedback_surveys_answered_total[7d])
/ increase(orderpulse_feedback_surveys_requested_total[7d])`.
"""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import Counter, Gauge, Histogram

from feedback_svc.domain.issues import BREACHED, CLOCKS, MET, RUNNING
from feedback_svc.service_layer.observer import Observer
from feedback_svc.service_layer.ports import ClockCounts

HOURS_BUCKETS_S = (60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600, 86400, 36 * 3600, 2 * 86400, 3 * 86400, 7 * 86400)

surveys_requested = Counter("orderpulse_feedback_surveys_requested_total", "Survey links sent out (survey.requested published).")
surveys_answered = Counter("orderpulse_feedback_surveys_answered_total", "Survey answers recorded, by csat score.", ["csat"])
issues_opened = Counter("orderpulse_feedback_issues_opened_total", "Issues opened, by category.", ["category"])
breaches_published = Counter(
    "orderpulse_feedback_sla_breaches_published_total", "issue.sla_breached events written, by clock.", ["clock"]
)
open_issues = Gauge(
    "orderpulse_feedback_open_issues",
    "Unresolved issues by clock and its state as of the last due-work pass (running, met, breached).",
    ["clock", "state"],
)
time_to_ack = Histogram(
    "orderpulse_feedback_issue_time_to_ack_seconds", "Issue opened to acknowledged (event time).", ["category"], buckets=HOURS_BUCKETS_S
)
time_to_resolve = Histogram(
    "orderpulse_feedback_issue_time_to_resolve_seconds", "Issue opened to resolved (event time).", ["category"], buckets=HOURS_BUCKETS_S
)


class PrometheusObserver(Observer):
    def surveys_requested(self, count: int) -> None:
        surveys_requested.inc(count)

    def survey_answered(self, csat: int) -> None:
        surveys_answered.labels(str(csat)).inc()

    def issue_opened(self, category: str) -> None:
        issues_opened.labels(category).inc()

    def issue_acknowledged(self, category: str, after: timedelta) -> None:
        time_to_ack.labels(category).observe(max(0.0, after.total_seconds()))

    def issue_resolved(self, category: str, after: timedelta) -> None:
        time_to_resolve.labels(category).observe(max(0.0, after.total_seconds()))

    def breaches_published(self, clock: str, count: int) -> None:
        breaches_published.labels(clock).inc(count)

    def open_issues(self, counts: ClockCounts) -> None:
        for clock in CLOCKS:
            for state in (RUNNING, MET, BREACHED):
                open_issues.labels(clock, state).set(counts.counts.get((clock, state), 0))
