"""Grafana: provisioning for compose and five dashboards whose queries are valid PromQL."""

import re

import pytest
import yaml
from deploy_support import DEPLOY, dashboard_queries, dashboards, load_yaml, promtool, python, run

DASHBOARDS = dashboards()
EXPECTED_PANELS = {
    "orderpulse-executive-kpis.json": {
        "Perfect order", "Perfect order (multiplicative)", "On time", "In full", "Damage free",
        "Documentation accurate", "Shipped within SLA", "CSAT (4 or 5)", "Error budget burn rate over 1h",
    },
    "orderpulse-perfect-order-pareto.json": {
        "Failed orders by component", "Failed orders by carrier", "Failures by component, carrier and tier",
        "Verdicts revised by a claim, by component",
    },
    "orderpulse-sla-clocks.json": {
        "Shipped within 2 business days", "Issues acknowledged within 24h", "Issues resolved within 48h",
        "Issue clocks breached by category", "Time to ship (placed to first dispatch)",
    },
    "orderpulse-pipeline-health.json": {
        "Consumer lag by service and topic", "Dead-lettered records per minute", "Outbox backlog (unpublished rows)",
        "Outbox publish lag p99", "KPI freshness (now minus newest event applied)", "5xx ratio",
    },
    "orderpulse-slo-error-budgets.json": {
        "Error budget left (30 days)", "Targets and error ratios over 30 days", "Firing and pending SLO alerts",
        "Burn rate 1h and 5m (14.4x pages)", "Burn rate 6h and 30m (6x pages)", "Burn rate 24h and 2h (3x tickets)",
        "Burn rate 3d and 6h (1x tickets)",
    },
}
# Values Grafana substitutes before a query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "1h", "$__interval": "15s", "$window": "24h"}


def test_the_dashboards_are_generated_from_their_source():
    result = run([python(), "deploy/grafana/generate_dashboards.py", "--check"])
    assert result.returncode == 0, result.stderr


def test_there_are_the_four_dashboards_of_the_spec_and_the_slo_dashboard():
    assert set(DASHBOARDS) == set(EXPECTED_PANELS)


@pytest.mark.parametrize("name", sorted(EXPECTED_PANELS))
def test_each_dashboard_is_a_valid_dashboard_model(name):
    dashboard = DASHBOARDS[name]
    assert dashboard["schemaVersion"] >= 36
    assert dashboard["uid"] == name.removesuffix(".json") and len(dashboard["uid"]) <= 40
    assert dashboard["title"].startswith("OrderPulse / ")
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"


@pytest.mark.parametrize("name", sorted(EXPECTED_PANELS))
def test_each_dashboard_has_its_expected_panels_each_with_a_query(name):
    panels = {panel["title"]: panel for panel in DASHBOARDS[name]["panels"] if panel["type"] != "row"}
    assert EXPECTED_PANELS[name] <= set(panels)
    for title, panel in panels.items():
        assert panel["targets"], title
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, title
        assert [target["refId"] for target in panel["targets"]] == list("ABCDEFGHIJ"[: len(panel["targets"])])


@pytest.mark.parametrize("name", sorted(EXPECTED_PANELS))
def test_every_dashboard_query_is_valid_promql(name, tmp_path):
    rules = []
    for index, (title, expr) in enumerate(dashboard_queries(DASHBOARDS[name])):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, f"{title}: unknown Grafana variable in {expr}"
        rules.append({"record": f"dashboard:query_{index}:check", "expr": expr})
    rule_file = tmp_path / "dashboard-queries.rules.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}))
    result = run([promtool(), "check", "rules", str(rule_file)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_window_variable_offers_the_kpi_windows_of_kpis_md():
    for name in ("orderpulse-executive-kpis.json", "orderpulse-sla-clocks.json"):
        variables = {variable["name"]: variable for variable in DASHBOARDS[name]["templating"]["list"]}
        assert variables["window"]["query"].split(",") == ["1h", "24h", "7d", "30d"]


def test_the_pareto_ranks_component_failures_largest_first():
    panels = {panel["title"]: panel for panel in DASHBOARDS["orderpulse-perfect-order-pareto.json"]["panels"]}
    [target] = panels["Failed orders by component"]["targets"]
    assert re.fullmatch(r"sort_desc\(sum by \(component\) \(increase\(orderpulse_order_component_failures_total"
                        r"\[\$__range\]\)\)\)", target["expr"])


def test_compose_grafana_provisions_prometheus_and_the_dashboard_folder():
    datasource = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")["datasources"][0]
    assert datasource["type"] == "prometheus" and datasource["url"] == "http://prometheus:9090"
    provider = load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "orderpulse.yml")["providers"][0]
    assert provider["type"] == "file" and provider["options"]["path"] == "/etc/grafana/dashboards"


def test_kpi_panels_colour_against_the_target_kpi_svc_publishes_not_a_written_number():
    coloured = 0
    for name, dashboard in DASHBOARDS.items():
        for panel in dashboard["panels"]:
            exprs = [target["expr"] for target in panel.get("targets", [])]
            if not any("orderpulse_kpi_ratio{kpi=" in expr or "orderpulse_orders_perfect_total" in expr
                       for expr in exprs) or "thresholds" not in panel["fieldConfig"]["defaults"]:
                continue
            coloured += 1
            by_ref = {target["refId"]: target for target in panel["targets"]}
            [transformation] = panel["transformations"]
            assert transformation["id"] == "configFromData", f"{name} / {panel['title']}"
            config = by_ref[transformation["options"]["configRefId"]]
            assert config["expr"].startswith("max(orderpulse_kpi_target_ratio{kpi="), panel["title"]
            [mapping] = transformation["options"]["mappings"]
            assert mapping["handlerKey"] == "threshold1" and mapping["fieldName"] == config["legendFormat"]
    assert coloured >= 17


def test_the_cost_per_order_turns_red_above_its_target_and_ratios_below_theirs():
    stats = {panel["title"]: panel for panel in DASHBOARDS["orderpulse-executive-kpis.json"]["panels"]}
    colours = lambda title: [step["color"] for step in stats[title]["fieldConfig"]["defaults"]["thresholds"]["steps"]]  # noqa: E731
    assert colours("Cost per order") == ["green", "red"]
    assert colours("Perfect order") == ["red", "green"]
    assert colours("Orders per labour hour") == ["red", "green"]
