"""Prometheus rules, their unit tests, the compose scrape config and Alertmanager, via promtool/amtool."""

import re

import pytest
from deploy_support import (
    DEPLOY,
    KPI_TARGETS,
    SERVICES,
    all_rules,
    amtool,
    load_yaml,
    promtool,
    python,
    rule_files,
    run,
)

PROMETHEUS = DEPLOY / "prometheus"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.test.yml"))


def alerts() -> dict[str, dict]:
    return {rule["alert"]: rule for rule in all_rules() if "alert" in rule}


def test_the_slo_rules_are_generated_from_the_catalog():
    result = run([python(), "deploy/prometheus/generate_slo_rules.py", "--check"])
    assert result.returncode == 0, result.stderr


def test_every_rule_file_passes_promtool_check_rules():
    result = run([promtool(), "check", "rules", *map(str, rule_files())])
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rule_file_has_unit_tests():
    tested = {path for test in RULE_TESTS for path in load_yaml(test)["rule_files"]}
    assert {f"../rules/{path.name}" for path in rule_files()} <= tested


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=lambda path: path.name)
def test_the_rule_unit_tests_pass(test_file):
    result = run([promtool(), "test", "rules", str(test_file)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_prometheus_config_passes_promtool_check_config():
    result = run([promtool(), "check", "config", str(PROMETHEUS / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout


def test_the_alertmanager_config_passes_amtool_check_config():
    result = run([amtool(), "check-config", str(DEPLOY / "alertmanager" / "alertmanager.yml")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_scrapes_every_service_on_its_port_keeping_the_service_label():
    jobs = {job["job_name"]: job for job in load_yaml(PROMETHEUS / "prometheus.yml")["scrape_configs"]}
    for service, (_, port) in SERVICES.items():
        assert jobs[service]["static_configs"] == [{"targets": [f"{service}:{port}"]}]
        assert jobs[service]["honor_labels"] is True
        assert jobs[service].get("metrics_path", "/metrics") == "/metrics"


def test_pipeline_health_has_an_alert_for_each_signal():
    expected = {
        "OrderPulseServiceDown", "OrderPulseHttpErrorRatioHigh", "OrderPulseHttpLatencyHigh",
        "OrderPulseConsumerLagHigh", "OrderPulseConsumerLagGrowing", "OrderPulseDeadLetters",
        "OrderPulseOutboxBacklog", "OrderPulseOutboxPublishLagHigh", "OrderPulseKpiStale",
        "OrderPulseScrapeTargetAbsent",
    }
    assert expected <= set(alerts())


def test_service_down_watches_the_jobs_named_after_the_services():
    expr = alerts()["OrderPulseServiceDown"]["expr"]
    jobs = re.search(r'job=~"([^"]+)"', expr).group(1).split("|")
    assert sorted(jobs) == sorted(SERVICES)


TIERS = {
    # alert: (burn factor, long window, short window, action) -- the SRE workbook's four tiers
    "OrderPulseKpiErrorBudgetFastBurn": ("14.4", "1h", "5m", "page"),
    "OrderPulseKpiErrorBudgetSlowBurn": ("6", "6h", "30m", "page"),
    "OrderPulseKpiErrorBudgetDailyBurn": ("3", "24h", "2h", "ticket"),
    "OrderPulseKpiErrorBudgetSteadyBurn": ("1", "3d", "6h", "ticket"),
}
# kpis.md: the gauges carry windows 1h, 24h, 7d, 30d and, for burn-rate alerts, 5m, 30m, 6h, 3d.
GAUGE_WINDOWS = {"1h", "24h", "7d", "30d", "5m", "30m", "6h", "3d"}


def recording(name: str) -> dict:
    [rule] = [rule for rule in all_rules() if rule.get("record") == name]
    return rule


def test_the_slo_kpis_are_the_ratio_kpis_of_kpis_md_with_a_default_target():
    expr = recording("orderpulse:kpi_slo_ratio:max")["expr"]
    assert set(re.search(r'kpi=~"([^"]+)"', expr).group(1).split("|")) == set(KPI_TARGETS)
    assert expr.startswith("max by (kpi, window) (orderpulse_kpi_ratio{")


def test_targets_and_budgets_follow_what_kpi_svc_publishes():
    assert recording("orderpulse:kpi_target:max")["expr"] == "max by (kpi) (orderpulse_kpi_target_ratio)"
    budget = recording("orderpulse:kpi_error_budget:ratio")["expr"]
    assert "(1 - max by (kpi) (orderpulse_kpi_target_ratio{" in budget and budget.rstrip().endswith("> 0")
    assert "vector(" not in "".join(rule["expr"] for rule in all_rules()), "targets are kpi-svc's, not the rules'"


@pytest.mark.parametrize("alert, tier", sorted(TIERS.items()))
def test_each_burn_rate_tier_reads_exact_event_time_windows_with_a_traffic_guard(alert, tier):
    factor, long, short, action = tier
    rule = alerts()[alert]
    assert f"orderpulse:kpi_burn_rate:{long} > {factor}\n" in rule["expr"]
    assert f"orderpulse:kpi_burn_rate:{short} > {factor}\n" in rule["expr"]
    assert re.search(rf'orderpulse:kpi_slo_denominator:max{{window="{long}"}}\) >= \d+', rule["expr"])
    assert rule["labels"]["action"] == action
    assert rule["labels"]["severity"] == ("critical" if action == "page" else "warning")
    assert rule["labels"]["slo_window"] == f"{long}/{short}"
    for window in (long, short):
        burn = recording(f"orderpulse:kpi_burn_rate:{window}")["expr"]
        assert burn == f"orderpulse:kpi_error_ratio:{window} / on (kpi) orderpulse:kpi_error_budget:ratio"
        error = recording(f"orderpulse:kpi_error_ratio:{window}")["expr"]
        windows_read = set(re.findall(r'window="([^"]+)"', error))
        if window in GAUGE_WINDOWS:
            assert windows_read == {window}, f"the {window} error ratio must read the {window} gauge"
        else:  # 2h: the 1h window now and as it was an hour ago
            assert windows_read == {"1h"} and error.count("offset 1h") == 2


def test_the_remaining_budget_is_recorded_over_the_30_day_window():
    assert recording("orderpulse:kpi_error_budget_remaining:ratio")["expr"] == "1 - orderpulse:kpi_burn_rate:30d"
    assert 'window="30d"' in recording("orderpulse:kpi_error_ratio:30d")["expr"]


def test_the_off_target_comparison_follows_each_kpis_direction_as_kpi_svc_defines_it():
    from kpi_svc.domain.rules import LOWER_IS_BETTER

    expr = alerts()["OrderPulseKpiOffTarget"]["expr"]
    lower = re.search(r'kpi=~"([^"]+)"\}\s*> on \(kpi\)', expr).group(1).split("|")
    higher_excluded = re.search(r'kpi!~"([^"]+)"\}\s*< on \(kpi\)', expr).group(1).split("|")
    assert set(lower) == set(higher_excluded) == set(LOWER_IS_BETTER)


def test_every_alert_has_a_promtool_unit_test_that_expects_it_to_fire():
    fired = {case["alertname"] for test_file in RULE_TESTS for test in load_yaml(test_file)["tests"]
             for case in test.get("alert_rule_test", []) if case.get("exp_alerts")}
    assert set(alerts()) <= fired, sorted(set(alerts()) - fired)


def test_vanishing_kpi_series_and_scrape_targets_have_absent_alerts():
    kpi_absent = alerts()["OrderPulseKpiSeriesAbsent"]["expr"]
    for window in GAUGE_WINDOWS:
        assert f'absent(orderpulse_kpi_denominator{{window="{window}"}})' in kpi_absent
    for kpi in KPI_TARGETS:
        assert f'absent(orderpulse_kpi_denominator{{kpi="{kpi}", window="30d"}})' in kpi_absent
    scrape_absent = alerts()["OrderPulseScrapeTargetAbsent"]["expr"]
    assert sorted(re.findall(r'absent\(up\{job="([^"]+)"\}\)', scrape_absent)) == sorted(SERVICES)


def test_every_alert_has_a_severity_a_summary_and_a_runbook_url_to_its_section():
    runbook = (DEPLOY / "RUNBOOK.md").read_text()
    anchors = {re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
               for heading in re.findall(r"^#+ (.+)$", runbook, re.MULTILINE)}
    for name, rule in alerts().items():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        assert rule["annotations"]["summary"], name
        assert "runbook" not in rule["annotations"], f"{name}: runbook_url, not runbook"
        url = rule["annotations"]["runbook_url"]
        assert re.fullmatch(r"https://[^\s#]+/deploy/RUNBOOK\.md#[a-z0-9-]+", url), f"{name}: {url}"
        assert url.endswith(f"#{name.lower()}"), name
        assert name.lower() in anchors, f"deploy/RUNBOOK.md has no section for {name}"
    assert len({rule["annotations"]["runbook_url"].split("#")[0] for rule in alerts().values()}) == 1
