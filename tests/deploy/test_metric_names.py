"""Every metric the rules and dashboards read is one the services expose (kpis.md + platform)."""

import pytest
from deploy_support import (
    DEPLOY,
    EXPOSED_METRICS,
    all_rules,
    dashboard_queries,
    dashboards,
    exposed_series_names,
    load_yaml,
    metric_names_in,
)

RECORDED = {rule["record"] for rule in all_rules() if "record" in rule}
KNOWN = exposed_series_names() | RECORDED


def unknown(names: set[str]) -> set[str]:
    return {name for name in names if name not in KNOWN}


def test_the_name_extraction_finds_metrics_and_recordings_but_not_label_values():
    expr = 'sum(rate(orderpulse_orders_perfect_total{kpi="orderpulse_x"}[5m])) / orderpulse:kpi_target:ratio'
    assert metric_names_in(expr) == {"orderpulse_orders_perfect_total", "orderpulse:kpi_target:ratio"}


def test_every_metric_read_by_a_rule_is_exposed_or_recorded():
    for rule in all_rules():
        assert not unknown(metric_names_in(rule["expr"])), rule.get("record") or rule.get("alert")


def test_every_recording_rule_follows_the_level_metric_operation_convention():
    for name in RECORDED:
        assert name.startswith("orderpulse:") and name.count(":") == 2, name


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_every_metric_a_dashboard_reads_is_exposed_or_recorded(name):
    for title, expr in dashboard_queries(dashboards()[name]):
        assert not unknown(metric_names_in(expr)), f"{name} / {title}: {unknown(metric_names_in(expr))}"


def test_the_rule_unit_tests_feed_only_metrics_the_services_expose():
    for test_file in sorted((DEPLOY / "prometheus" / "tests").glob("*.test.yml")):
        for test in load_yaml(test_file)["tests"]:
            for series in test["input_series"]:
                name = series["series"].split("{", 1)[0]
                assert name == "up" or name in exposed_series_names(), f"{test_file.name}: {name}"


def test_the_rules_and_dashboards_together_use_every_kpi_svc_metric():
    used = {name for rule in all_rules() for name in metric_names_in(rule["expr"])}
    used |= {name for board in dashboards().values() for _, expr in dashboard_queries(board)
             for name in metric_names_in(expr)}
    used = {name.removesuffix("_bucket") for name in used}
    assert set(EXPOSED_METRICS) <= used
