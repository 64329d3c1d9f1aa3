"""Facts about OrderPulse that every deployment artefact is built from.

The generators in deploy/ (Dockerfiles, SLO rules, dashboards, Kubernetes manifests) read these
tables so that a port, a topic or a KPI target is written down once. The values follow the
spec: ports from api.md, topics from events.md, KPI targets from kpis.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    package: str
    port: int
    # How the Kubernetes HPA scales it: "cpu" for request-driven services, "consumer_lag" for
    # services whose work arrives mostly from Kafka.
    scales_on: str

    @property
    def database(self) -> str:
        return self.package

    @property
    def dlq_topic(self) -> str:
        return f"orderpulse.dlq.{self.name}"


SERVICES: tuple[Service, ...] = (
    Service("order-svc", "order_svc", 8001, "cpu"),
    Service("fulfillment-svc", "fulfillment_svc", 8002, "cpu"),
    Service("notify-svc", "notify_svc", 8003, "consumer_lag"),
    Service("feedback-svc", "feedback_svc", 8004, "cpu"),
    Service("kpi-svc", "kpi_svc", 8005, "consumer_lag"),
)

PARTITIONS = 12


@dataclass(frozen=True)
class Topic:
    name: str
    compacted: bool = False


TOPICS: tuple[Topic, ...] = (
    Topic("orderpulse.customers", compacted=True),
    Topic("orderpulse.orders"),
    Topic("orderpulse.fulfillment"),
    Topic("orderpulse.notifications"),
    Topic("orderpulse.feedback"),
)

DLQ_TOPICS: tuple[Topic, ...] = tuple(Topic(service.dlq_topic) for service in SERVICES)


@dataclass(frozen=True)
class Kpi:
    """A ratio KPI with a target, and where its error ratio comes from.

    source "counters": exact error ratios over any window from kpi-svc counters
    (good / delivered or good / responses). source "gauges": only the event-time window gauges
    orderpulse_kpi_ratio{window="1h"} and friends exist for it (kpis.md).
    """

    name: str
    target: float
    source: str
    # For source "counters": PromQL for the bad and total rates, with {w} for the range.
    bad_rate: str = ""
    total_rate: str = ""


_DELIVERED = "sum(rate(orderpulse_orders_delivered_total[{w}]))"


def _component_failures(component: str) -> str:
    return f'sum(rate(orderpulse_order_component_failures_total{{{{component="{component}"}}}}[{{w}}]))'


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "perfect_order", 0.95, "counters",
        bad_rate=f"({_DELIVERED} - sum(rate(orderpulse_orders_perfect_total[{{w}}])))",
        total_rate=_DELIVERED,
    ),
    Kpi("on_time_delivery", 0.95, "counters", _component_failures("on_time"), _DELIVERED),
    Kpi("in_full", 0.95, "counters", _component_failures("in_full"), _DELIVERED),
    Kpi("damage_free", 0.95, "counters", _component_failures("damage_free"), _DELIVERED),
    Kpi("documentation_accuracy", 0.95, "counters", _component_failures("documentation"), _DELIVERED),
    Kpi(
        "csat", 0.95, "counters",
        bad_rate='sum(rate(orderpulse_survey_responses_total{{csat=~"1|2|3"}}[{w}]))',
        total_rate="sum(rate(orderpulse_survey_responses_total[{w}]))",
    ),
    Kpi("shipped_within_sla", 0.95, "gauges"),
    Kpi("order_entry_accuracy", 0.98, "gauges"),
    Kpi("invoice_accuracy", 0.95, "gauges"),
    Kpi("first_time_fill_rate", 0.95, "gauges"),
    Kpi("issue_ack_within_sla", 0.95, "gauges"),
    Kpi("issue_resolved_within_sla", 0.95, "gauges"),
    Kpi("notification_timeliness", 0.95, "gauges"),
    Kpi("status_communication_accuracy", 0.95, "gauges"),
)

# Ratio KPIs that kpi-svc publishes but that carry no alert: the multiplicative perfect-order
# figure is shown beside the honest one to teach the difference, not to page anyone.
INFORMATIONAL_RATIO_KPIS: tuple[str, ...] = ("perfect_order_multiplicative",)
# Non-ratio KPIs (no error budget).
VALUE_KPIS: tuple[str, ...] = ("orders_per_labor_hour", "cost_per_order")

WINDOWS: tuple[str, ...] = ("1h", "24h", "7d", "30d")
