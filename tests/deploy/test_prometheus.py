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


def test_default_targets_are_those_of_kpis_md():
    defaults = {
        rule["labels"]["kpi"]: float(re.fullmatch(r"vector\(([0-9.]+)\)", rule["expr"]).group(1))
        for rule in all_rules() if rule.get("record") == "orderpulse:kpi_default_target:ratio"
    }
    assert defaults == KPI_TARGETS


def test_every_kpi_with_a_target_has_an_error_ratio_for_each_burn_window():
    for window in ("5m", "30m", "1h", "6h"):
        covered = set()
        for rule in all_rules():
            if rule.get("record") != f"orderpulse:kpi_error_ratio:{window}":
                continue
            if "kpi" in rule.get("labels", {}):
                covered.add(rule["labels"]["kpi"])
            else:
                covered.update(re.search(r'kpi=~"([^"]+)"', rule["expr"]).group(1).split("|"))
        assert covered == set(KPI_TARGETS), window


def test_the_burn_rate_alerts_pair_the_workbook_windows_and_factors():
    fast = alerts()["OrderPulseKpiErrorBudgetFastBurn"]
    slow = alerts()["OrderPulseKpiErrorBudgetSlowBurn"]
    assert "orderpulse:kpi_error_ratio:1h > on (kpi) (14.4 * (1 - orderpulse:kpi_target:ratio))" in fast["expr"]
    assert "orderpulse:kpi_error_ratio:5m > on (kpi) (14.4 * (1 - orderpulse:kpi_target:ratio))" in fast["expr"]
    assert "orderpulse:kpi_error_ratio:6h > on (kpi) (6 * (1 - orderpulse:kpi_target:ratio))" in slow["expr"]
    assert "orderpulse:kpi_error_ratio:30m > on (kpi) (6 * (1 - orderpulse:kpi_target:ratio))" in slow["expr"]
    assert fast["labels"]["severity"] == slow["labels"]["severity"] == "critical"


def test_targets_follow_kpi_svc_and_fall_back_to_the_defaults():
    [target] = [rule for rule in all_rules() if rule.get("record") == "orderpulse:kpi_target:ratio"]
    assert "max by (kpi) (orderpulse_kpi_target_ratio)" in target["expr"]
    assert "or on (kpi)" in target["expr"]
    assert "orderpulse:kpi_default_target:ratio" in target["expr"]


def test_pipeline_health_has_an_alert_for_each_signal():
    expected = {
        "OrderPulseServiceDown", "OrderPulseHttpErrorRatioHigh", "OrderPulseHttpLatencyHigh",
        "OrderPulseConsumerLagHigh", "OrderPulseConsumerLagGrowing", "OrderPulseDeadLetters",
        "OrderPulseOutboxBacklog", "OrderPulseOutboxPublishLagHigh", "OrderPulseKpiStale",
    }
    assert expected <= set(alerts())


def test_every_alert_has_a_severity_a_summary_and_a_runbook_section():
    runbook = (DEPLOY / "RUNBOOK.md").read_text()
    anchors = {re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
               for heading in re.findall(r"^#+ (.+)$", runbook, re.MULTILINE)}
    for name, rule in alerts().items():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["runbook"] == f"deploy/RUNBOOK.md#{name.lower()}", name
        assert name.lower() in anchors, f"deploy/RUNBOOK.md has no section for {name}"


def test_service_down_watches_the_jobs_named_after_the_services():
    expr = alerts()["OrderPulseServiceDown"]["expr"]
    jobs = re.search(r'job=~"([^"]+)"', expr).group(1).split("|")
    assert sorted(jobs) == sorted(SERVICES)
