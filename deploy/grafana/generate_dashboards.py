"""Write the Grafana dashboards in deploy/grafana/dashboards/ (or --check them).

Five dashboards, each on a `datasource` variable so they work against any Prometheus:
executive KPIs, the perfect-order failure Pareto, SLA clocks, pipeline health, and SLOs with
their error budgets. KPI panels colour against the target kpi-svc publishes
(orderpulse_kpi_target_ratio, through Grafana's "config from query results"), never a number
written here. Plain dicts rather than grafana-foundation-sdk: see docs/deploy-decisions.md. Grafana
provisions them in compose (deploy/grafana/provisioning) and the Kubernetes overlays ship them
as ConfigMaps labelled grafana_dashboard (deploy/k8s/generate.py).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog import KPIS, LOWER_IS_BETTER, SERVICES  # noqa: E402
from generated import DEPLOY_DIR, main  # noqa: E402

OUTPUT_DIR = DEPLOY_DIR / "grafana" / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39
SLO_KPIS = "|".join(kpi.name for kpi in KPIS)
SERVICE_JOBS = "|".join(service.name for service in SERVICES)


def target(expr: str, legend: str = "", *, instant: bool = False, table: bool = False) -> dict:
    query = {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend or "__auto", "range": not instant}
    if instant:
        query["instant"] = True
    if table:
        query["format"] = "table"
    return query


def target_thresholds(kpi: str) -> dict:
    """Red on the wrong side of the target, green on the right one. The step's value is only a
    placeholder: target_from_query() replaces it with the published target."""
    worse, better = ("green", "red") if kpi in LOWER_IS_BETTER else ("red", "green")
    return {"mode": "absolute", "steps": [{"color": worse, "value": None}, {"color": better, "value": 0}]}


def target_query(kpi: str) -> dict:
    return target(f'max(orderpulse_kpi_target_ratio{{kpi="{kpi}"}})', "target", instant=True)


def target_from_query(ref_id: str) -> list[dict]:
    """Grafana's "config from query results": the query `ref_id` sets the threshold, not a value."""
    return [{"id": "configFromData", "options": {
        "configRefId": ref_id, "mappings": [{"fieldName": "target", "handlerKey": "threshold1", "reducerId": "last"}]}}]


def upper_thresholds(limit: float) -> dict:
    return {"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "red", "value": limit}]}


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    variables: list[dict] = field(default_factory=list)
    panels: list[dict] = field(default_factory=list)
    _x: int = 0
    _y: int = 0
    _row_height: int = 0

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append(
            {"type": "row", "title": title, "collapsed": False, "panels": [],
             "gridPos": {"h": 1, "w": 24, "x": 0, "y": self._y}}
        )
        self._y += 1

    def add(self, kind: str, title: str, targets: list[dict], *, width: int = 12, height: int = 8,
            unit: str = "none", description: str = "", thresholds: dict | None = None,
            minimum: float | None = None, maximum: float | None = None, options: dict | None = None,
            transformations: list[dict] | None = None) -> None:
        if self._x + width > 24:
            self._newline()
        defaults: dict = {"unit": unit}
        if thresholds:
            defaults["thresholds"] = thresholds
            defaults["color"] = {"mode": "thresholds"}
        if minimum is not None:
            defaults["min"] = minimum
        if maximum is not None:
            defaults["max"] = maximum
        refs = "ABCDEFGHIJ"
        self.panels.append(
            {
                "type": kind,
                "title": title,
                "description": description,
                "datasource": DATASOURCE,
                "gridPos": {"h": height, "w": width, "x": self._x, "y": self._y},
                "targets": [dict(query, refId=refs[i]) for i, query in enumerate(targets)],
                "fieldConfig": {"defaults": defaults, "overrides": []},
                "options": options or {},
                "transformations": transformations or [],
            }
        )
        self._x += width
        self._row_height = max(self._row_height, height)

    def _newline(self) -> None:
        if self._x:
            self._y += self._row_height
        self._x = 0
        self._row_height = 0

    def to_json(self) -> dict:
        for panel_id, panel in enumerate(self.panels, start=1):
            panel["id"] = panel_id
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["orderpulse"],
            "timezone": "browser",
            "editable": True,
            "graphTooltip": 1,
            "refresh": "30s",
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
            "time": {"from": "now-24h", "to": "now"},
            "annotations": {"list": []},
            "links": [
                {"type": "dashboards", "title": "OrderPulse", "tags": ["orderpulse"], "asDropdown": True,
                 "includeVars": True, "keepTime": True}
            ],
            "templating": {"list": [datasource_variable(), *self.variables]},
            "panels": self.panels,
        }


def datasource_variable() -> dict:
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []}


def window_variable() -> dict:
    windows = ["1h", "24h", "7d", "30d"]
    return {
        "name": "window", "label": "KPI window", "type": "custom", "query": ",".join(windows), "hide": 0,
        "current": {"text": "24h", "value": "24h", "selected": True},
        "options": [{"text": w, "value": w, "selected": w == "24h"} for w in windows],
    }


STAT = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "background", "graphMode": "area", "textMode": "value_and_name"}
BARS = {"orientation": "horizontal", "displayMode": "basic", "showUnfilled": True,
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
LEGEND = {"legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull"]},
          "tooltip": {"mode": "multi", "sort": "desc"}}


def kpi_stat(board: Dashboard, kpi: str, title: str, width: int = 4) -> None:
    board.add(
        "stat", title,
        [target(f'max(orderpulse_kpi_ratio{{kpi="{kpi}", window="$window"}})', kpi, instant=True), target_query(kpi)],
        width=width, height=5, unit="percentunit", thresholds=target_thresholds(kpi),
        minimum=0, maximum=1, options=STAT, transformations=target_from_query("B"),
        description=f"{kpi} over the last $window, on event time, coloured against the target kpi-svc publishes.",
    )


def executive() -> Dashboard:
    board = Dashboard("orderpulse-executive-kpis", "OrderPulse / Executive KPIs",
                      "The business figures of kpis.md against their targets.", variables=[window_variable()])
    board.row("Perfect order over $window")
    kpi_stat(board, "perfect_order", "Perfect order")
    kpi_stat(board, "perfect_order_multiplicative", "Perfect order (multiplicative)")
    for kpi, title in (("on_time_delivery", "On time"), ("in_full", "In full"), ("damage_free", "Damage free"),
                       ("documentation_accuracy", "Documentation accurate")):
        kpi_stat(board, kpi, title)
    board.row("Fulfilment, billing and customers over $window")
    for kpi, title in (("shipped_within_sla", "Shipped within SLA"), ("order_entry_accuracy", "Order entry accurate"),
                       ("invoice_accuracy", "Invoice accurate"), ("first_time_fill_rate", "First-time fill rate"),
                       ("csat", "CSAT (4 or 5)"), ("notification_timeliness", "Notifications on time")):
        kpi_stat(board, kpi, title)
    kpi_stat(board, "status_communication_accuracy", "Status told accurately")
    kpi_stat(board, "issue_ack_within_sla", "Issues acknowledged in SLA")
    kpi_stat(board, "issue_resolved_within_sla", "Issues resolved in SLA")
    board.add("stat", "Orders per labour hour",
              [target('max(orderpulse_kpi_ratio{kpi="orders_per_labor_hour", window="$window"})', instant=True),
               target_query("orders_per_labor_hour")],
              width=4, height=5, options=STAT, thresholds=target_thresholds("orders_per_labor_hour"),
              transformations=target_from_query("B"),
              description="Orders first dispatched per recorded labour hour (no default target; coloured once "
                          "one is configured).")
    board.add("stat", "Cost per order",
              [target('max(orderpulse_kpi_ratio{kpi="cost_per_order", window="$window"})', instant=True),
               target_query("cost_per_order")],
              width=4, height=5, unit="none", options=STAT, thresholds=target_thresholds("cost_per_order"),
              transformations=target_from_query("B"),
              description="Labour, shipping and notification cost per order first dispatched (order currency; "
                          "lower is better, no default target).")
    board.row("Trends")
    board.add("timeseries", "Perfect order: per order vs multiplicative",
              [target('max by (kpi) (orderpulse_kpi_ratio{kpi=~"perfect_order|perfect_order_multiplicative", window="$window"})',
                      "{{kpi}}")],
              unit="percentunit", maximum=1, options=LEGEND,
              description="The multiplicative formula overstates when failures coincide on the same orders.")
    board.add("timeseries", "Error budget burn rate over 1h",
              [target("orderpulse:kpi_burn_rate:1h", "{{kpi}}")],
              unit="x", thresholds=upper_thresholds(14.4), options=LEGEND,
              description="1 spends the 30-day budget in exactly 30 days; 14.4 pages (with the 5m window). "
                          "The SLO dashboard shows every tier.")
    board.add("timeseries", "Every KPI over $window",
              [target('max by (kpi) (orderpulse_kpi_ratio{window="$window", kpi!~"orders_per_labor_hour|cost_per_order"})',
                      "{{kpi}}")],
              width=24, unit="percentunit", maximum=1, options=LEGEND)
    board.add("timeseries", "Orders delivered per hour",
              [target("sum by (tier) (increase(orderpulse_orders_delivered_total[1h]))", "{{tier}}")],
              options=LEGEND)
    board.add("timeseries", "Survey answers per hour by score",
              [target("sum by (csat) (increase(orderpulse_survey_responses_total[1h]))", "csat {{csat}}")],
              options=LEGEND, description="CSAT counts answers of 4 or 5 as satisfied.")
    board.add("table", "KPI against target",
              [target('max by (kpi) (orderpulse_kpi_ratio{window="$window"})', instant=True, table=True),
               target("max by (kpi) (orderpulse_kpi_target_ratio)", instant=True, table=True)],
              unit="percentunit", options={"showHeader": True},
              description="Value (A) and target (B) of every KPI over the chosen window.")
    return board


def pareto() -> Dashboard:
    board = Dashboard("orderpulse-perfect-order-pareto", "OrderPulse / Perfect-order failure Pareto",
                      "Why orders were not perfect: failed orders per component, largest first.")
    failures = "orderpulse_order_component_failures_total"
    board.row("What to fix first (over the dashboard's time range)")
    board.add("bargauge", "Failed orders by component",
              [target(f"sort_desc(sum by (component) (increase({failures}[$__range])))", "{{component}}",
                      instant=True)], options=BARS,
              description="An order can fail several components; each failure is counted once per component.")
    board.add("bargauge", "Failed orders by carrier",
              [target(f"sort_desc(sum by (carrier) (increase({failures}[$__range])))", "{{carrier}}",
                      instant=True)], options=BARS)
    board.add("table", "Failures by component, carrier and tier",
              [target(f"sort_desc(sum by (component, carrier, tier) (increase({failures}[$__range])))",
                      instant=True, table=True)], width=24, options={"showHeader": True})
    board.row("Over time")
    board.add("timeseries", "Component failures per second",
              [target(f"sum by (component) (rate({failures}[$__rate_interval]))", "{{component}}")],
              unit="ops", options=LEGEND)
    board.add("timeseries", "Perfect order ratio by carrier",
              [target("sum by (carrier) (increase(orderpulse_orders_perfect_total[$__rate_interval]))\n/\n"
                      "sum by (carrier) (increase(orderpulse_orders_delivered_total[$__rate_interval]))",
                      "{{carrier}}")],
              unit="percentunit", maximum=1, options=LEGEND)
    board.add("bargauge", "Verdicts revised by a claim, by component",
              [target("sort_desc(sum by (component) (increase(orderpulse_order_verdict_revisions_total[$__range])))",
                      "{{component}}", instant=True)], options=BARS,
              description="Claims inside the 7-day window that turned a perfect verdict into a failure.")
    board.add("bargauge", "Perfect ratio by tier",
              [target("sum by (tier) (increase(orderpulse_orders_perfect_total[$__range]))\n/\n"
                      "sum by (tier) (increase(orderpulse_orders_delivered_total[$__range]))", "{{tier}}",
                      instant=True),
               target_query("perfect_order")],
              unit="percentunit", thresholds=target_thresholds("perfect_order"), minimum=0, maximum=1,
              options=BARS, transformations=target_from_query("B"))
    return board


def quantile(q: float, metric: str, by: str = "") -> str:
    group = f"{by}, le" if by else "le"
    return f"histogram_quantile({q}, sum by ({group}) (rate({metric}_bucket[$__rate_interval])))"


def sla_clocks() -> Dashboard:
    board = Dashboard("orderpulse-sla-clocks", "OrderPulse / SLA clocks",
                      "Ship deadlines and issue clocks: how often they hold, and how long things take.",
                      variables=[window_variable()])
    board.row("Within SLA over $window")
    kpi_stat(board, "shipped_within_sla", "Shipped within 2 business days", width=8)
    kpi_stat(board, "issue_ack_within_sla", "Issues acknowledged within 24h", width=8)
    kpi_stat(board, "issue_resolved_within_sla", "Issues resolved within 48h", width=8)
    board.add("timeseries", "SLA ratios",
              [target('max by (kpi) (orderpulse_kpi_ratio{window="$window", '
                      'kpi=~"shipped_within_sla|issue_ack_within_sla|issue_resolved_within_sla"})', "{{kpi}}")],
              unit="percentunit", maximum=1, options=LEGEND)
    board.add("bargauge", "Issue clocks breached by category",
              [target("sort_desc(sum by (clock, category) (increase(orderpulse_issue_sla_breaches_total[$__range])))",
                      "{{clock}} / {{category}}", instant=True)], options=BARS)
    board.row("How long it takes")
    board.add("timeseries", "Time to ship (placed to first dispatch)",
              [target(quantile(q, "orderpulse_order_time_to_ship_seconds"), f"p{int(q * 100)}")
               for q in (0.5, 0.9, 0.99)], unit="s", options=LEGEND)
    board.add("timeseries", "Time to ship p90 by warehouse",
              [target(quantile(0.9, "orderpulse_order_time_to_ship_seconds", "warehouse"), "{{warehouse}}")],
              unit="s", options=LEGEND)
    board.add("timeseries", "Order processing time p90 by tier (placed to delivered)",
              [target(quantile(0.9, "orderpulse_order_processing_seconds", "tier"), "{{tier}}")],
              unit="s", options=LEGEND)
    board.add("timeseries", "Order entry time p90 by channel",
              [target(quantile(0.9, "orderpulse_order_entry_seconds", "channel"), "{{channel}}")],
              unit="s", options=LEGEND)
    board.add("timeseries", "Notification latency p99 by channel (5 minutes is the bar)",
              [target(quantile(0.99, "orderpulse_notification_latency_seconds", "channel"), "{{channel}}")],
              unit="s", thresholds=upper_thresholds(300), options=LEGEND)
    board.add("timeseries", "Issue clock breaches per hour",
              [target("sum by (clock) (increase(orderpulse_issue_sla_breaches_total[1h]))", "{{clock}}")],
              options=LEGEND)
    return board


def pipeline() -> Dashboard:
    board = Dashboard("orderpulse-pipeline-health", "OrderPulse / Pipeline health",
                      "Consumer lag, dead letters, the outbox, KPI freshness and HTTP RED per service.")
    board.row("Services")
    board.add("stat", "Scrape targets up",
              [target(f'up{{job=~"{SERVICE_JOBS}"}}', "{{job}} {{instance}}", instant=True)],
              width=24, height=4, thresholds={"mode": "absolute", "steps": [{"color": "red", "value": None},
                                                                           {"color": "green", "value": 1}]},
              options=STAT)
    board.row("Kafka")
    board.add("timeseries", "Consumer lag by service and topic",
              [target("sum by (service, topic) (orderpulse_consumer_lag)", "{{service}} / {{topic}}")],
              options=LEGEND, thresholds=upper_thresholds(10000))
    board.add("timeseries", "Dead-lettered records per minute",
              [target("sum by (service, topic) (rate(orderpulse_dlq_records_total[$__rate_interval])) * 60",
                      "{{service}} / {{topic}}")], options=LEGEND)
    board.add("bargauge", "Dead-lettered records in range",
              [target("sort_desc(sum by (service, topic) (increase(orderpulse_dlq_records_total[$__range])))",
                      "{{service}} / {{topic}}", instant=True)], options=BARS)
    board.add("timeseries", "kpi-svc events applied per second by topic",
              [target("sum by (topic) (rate(orderpulse_kpi_events_total[$__rate_interval]))", "{{topic}}"),
               target("sum by (topic) (rate(orderpulse_kpi_duplicate_events_total[$__rate_interval]))",
                      "duplicates {{topic}}")], unit="ops", options=LEGEND)
    board.row("Outbox and freshness")
    board.add("timeseries", "Outbox backlog (unpublished rows)",
              [target("max by (service) (orderpulse_outbox_backlog)", "{{service}}")],
              width=8, options=LEGEND, thresholds=upper_thresholds(1000))
    board.add("timeseries", "Outbox publish lag p99",
              [target(quantile(0.99, "orderpulse_outbox_publish_lag_seconds", "service"), "{{service}}")],
              width=8, unit="s", options=LEGEND, thresholds=upper_thresholds(0.05))
    board.add("timeseries", "KPI freshness (now minus newest event applied)",
              [target("max by (instance) (orderpulse_kpi_freshness_seconds)", "{{instance}}")],
              width=8, unit="s", options=LEGEND)
    board.row("HTTP")
    board.add("timeseries", "Requests per second",
              [target("sum by (service) (rate(orderpulse_http_requests_total[$__rate_interval]))", "{{service}}")],
              width=8, unit="reqps", options=LEGEND)
    board.add("timeseries", "5xx ratio",
              [target('sum by (service) (rate(orderpulse_http_requests_total{status=~"5.."}[$__rate_interval]))\n/\n'
                      "sum by (service) (rate(orderpulse_http_requests_total[$__rate_interval]))", "{{service}}")],
              width=8, unit="percentunit", options=LEGEND, thresholds=upper_thresholds(0.05))
    board.add("timeseries", "Request duration p99",
              [target(quantile(0.99, "orderpulse_http_request_duration_seconds", "service"), "{{service}}")],
              width=8, unit="s", options=LEGEND)
    board.add("table", "Busiest routes",
              [target("topk(20, sum by (service, method, route) "
                      "(rate(orderpulse_http_requests_total[$__rate_interval])))", instant=True, table=True)],
              width=24, unit="reqps", options={"showHeader": True})
    return board


BURN_TIERS = (("1h", "5m", 14.4, "page"), ("6h", "30m", 6, "page"), ("24h", "2h", 3, "ticket"),
              ("3d", "6h", 1, "ticket"))


def slo() -> Dashboard:
    board = Dashboard("orderpulse-slo-error-budgets", "OrderPulse / SLOs and error budgets",
                      "Every ratio KPI with a target: its 30-day error budget, the burn rate of each alert tier, "
                      "and the alerts it raises (deploy/RUNBOOK.md).")
    board.row("Budget")
    board.add("bargauge", "Error budget left (30 days)",
              [target("sort(orderpulse:kpi_error_budget_remaining:ratio)", "{{kpi}}", instant=True)],
              unit="percentunit", maximum=1, options=BARS,
              thresholds={"mode": "absolute", "steps": [{"color": "red", "value": None},
                                                        {"color": "orange", "value": 0},
                                                        {"color": "green", "value": 0.25}]},
              description="The share of the 30-day budget (1 - target) not yet spent; negative when overspent.")
    board.add("table", "Targets and error ratios over 30 days",
              [target(f'max by (kpi) (orderpulse_kpi_target_ratio{{kpi=~"{SLO_KPIS}"}})', instant=True, table=True),
               target("orderpulse:kpi_error_ratio:30d", instant=True, table=True)],
              unit="percentunit", options={"showHeader": True},
              description="Target (A) as kpi-svc publishes it, error ratio (B) over the last 30 days.")
    board.add("table", "Firing and pending SLO alerts",
              [target('ALERTS{alertname=~"OrderPulseKpi.*"}', instant=True, table=True)],
              width=24, options={"showHeader": True})
    for long, short, factor, action in BURN_TIERS:
        if long in ("1h", "24h"):
            board.row(f"{action.capitalize()} tiers" if long == "1h" else "Ticket tiers")
        board.add("timeseries", f"Burn rate {long} and {short} ({factor}x {action}s)",
                  [target(f"orderpulse:kpi_burn_rate:{long}", f"{{{{kpi}}}} {long}"),
                   target(f"orderpulse:kpi_burn_rate:{short}", f"{{{{kpi}}}} {short}")],
                  unit="x", thresholds=upper_thresholds(factor), options=LEGEND,
                  description=f"Both windows above {factor}x, with enough events in the {long} window, "
                              f"raise a {action}.")
    board.row("Traffic")
    board.add("timeseries", "Events in each long window (the alerts need 20)",
              [target('orderpulse:kpi_slo_denominator:max{window=~"1h|6h|24h|3d"}', "{{kpi}} {{window}}")],
              width=24, options=LEGEND)
    return board


DASHBOARDS = (executive, pareto, sla_clocks, pipeline, slo)


def render() -> dict[Path, str]:
    outputs = {}
    for build in DASHBOARDS:
        board = build()
        outputs[OUTPUT_DIR / f"{board.uid}.json"] = json.dumps(board.to_json(), indent=2) + "\n"
    return outputs


if __name__ == "__main__":
    sys.exit(main(render, __doc__))
