"""Facts about OrderPulse that every deployment artefact is built from.

The generators in deploy/ (Dockerfiles, SLO rules, dashboards, Kubernetes manifests) read these
tables so that a port, a topic or a KPI target is written down once. The values follow the
spec: ports from api.md, topics from events.md, KPI targets from kpis.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from orderpulse.event_loop import loop_of


@dataclass(frozen=True)
class Service:
    name: str
    package: str
    port: int
    # How the Kubernetes HPA scales it: "cpu" for request-driven services, "consumer_lag" for
    # services whose work arrives mostly from Kafka.
    scales_on: str

    @property
    def loop(self) -> str:
        """The event loop uvicorn runs it on (`--loop`): chosen in orderpulse.event_loop.SERVICE_LOOPS, the one
        place every launch path takes it from."""
        return loop_of(self.name)

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

# ORDERPULSE_DATABASE_POOL_SIZE of each service in Kubernetes. Each replica holds up to its
# bootstrap's DATABASE_CONNECTIONS_PER_POOL_SIZE times this many PostgreSQL connections, and at the
# HPAs' maxReplicas (plus a rolling update's surge) all of them must fit the Cluster's
# max_connections in every overlay (docs/deploy-decisions.md, "PostgreSQL connections";
# tests/deploy/test_connection_budget.py).
DATABASE_POOL_SIZES: dict[str, int] = {
    "order-svc": 5,
    "fulfillment-svc": 5,
    "notify-svc": 5,
    "feedback-svc": 4,
    "kpi-svc": 4,
}


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
    """A ratio KPI that has a default target (kpis.md), so an error budget and burn-rate alerts.

    The target the alerts use is the one kpi-svc publishes (orderpulse_kpi_target_ratio, its
    settings); `default_target` is kpis.md's default, for the dashboards' docs and the tests.
    """

    name: str
    default_target: float


KPIS: tuple[Kpi, ...] = (
    Kpi("perfect_order", 0.95),
    Kpi("on_time_delivery", 0.95),
    Kpi("in_full", 0.95),
    Kpi("damage_free", 0.95),
    Kpi("documentation_accuracy", 0.95),
    Kpi("csat", 0.95),
    Kpi("shipped_within_sla", 0.95),
    Kpi("order_entry_accuracy", 0.98),
    Kpi("invoice_accuracy", 0.95),
    Kpi("first_time_fill_rate", 0.95),
    Kpi("issue_ack_within_sla", 0.95),
    Kpi("issue_resolved_within_sla", 0.95),
    Kpi("notification_timeliness", 0.95),
    Kpi("status_communication_accuracy", 0.95),
)

# KPIs without a default target (kpis.md): the multiplicative perfect-order figure (shown beside
# the honest one to teach the difference) and the two value KPIs. A target configured in kpi-svc
# makes them alert when the 24h figure is on the wrong side of it, never through an error budget.
INFORMATIONAL_RATIO_KPIS: tuple[str, ...] = ("perfect_order_multiplicative",)
VALUE_KPIS: tuple[str, ...] = ("orders_per_labor_hour", "cost_per_order")
# The direction of a configured target: for these lower is better (kpi-svc's LOWER_IS_BETTER);
# for every other KPI higher is better.
LOWER_IS_BETTER: tuple[str, ...] = ("cost_per_order",)

# Where the alerts' runbook_url annotations point: the anchors of deploy/RUNBOOK.md. Override
# with ORDERPULSE_RUNBOOK_BASE_URL when generating for a fork or an internal mirror.
RUNBOOK_BASE_URL = "https://github.com/orderpulse/orderpulse/blob/main/deploy/RUNBOOK.md"

WINDOWS: tuple[str, ...] = ("1h", "24h", "7d", "30d")
# The extra event-time windows kpi-svc's gauges carry for burn-rate alerts (kpis.md).
BURN_WINDOWS: tuple[str, ...] = ("5m", "30m", "6h", "3d")
# Burn-rate alerts stay quiet while the long window holds fewer events than this: a handful of
# orders cannot tell a burning budget from bad luck.
SLO_MIN_EVENTS = 20
