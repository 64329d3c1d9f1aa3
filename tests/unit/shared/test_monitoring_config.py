"""`orderpulse up --with-prometheus` runs the project's prometheus.yml pointed at the running stack."""

from __future__ import annotations

from pathlib import Path

import yaml
from orderpulse.stack.monitoring import MonitoringSettings, alertmanager_config, prometheus_config

REPO = Path(__file__).resolve().parents[3]
PROJECT = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
RUNNING = {"order-svc": "http://127.0.0.1:41001", "kpi-svc": "http://127.0.0.1:41005"}


def local_config(**settings) -> dict:
    return prometheus_config(PROJECT, RUNNING, prometheus="127.0.0.1:49090", alertmanager="127.0.0.1:49093",
                             rules_dir=REPO / "deploy" / "prometheus" / "rules",
                             settings=MonitoringSettings(**settings))


def test_each_running_service_keeps_its_job_and_scrape_options_with_its_local_address():
    jobs = {job["job_name"]: job for job in local_config()["scrape_configs"]}
    assert jobs["order-svc"]["static_configs"] == [{"targets": ["127.0.0.1:41001"]}]
    assert jobs["kpi-svc"]["static_configs"] == [{"targets": ["127.0.0.1:41005"]}]
    assert jobs["kpi-svc"]["honor_labels"] is True
    assert jobs["prometheus"]["static_configs"] == [{"targets": ["127.0.0.1:49090"]}]
    assert jobs["alertmanager"]["static_configs"] == [{"targets": ["127.0.0.1:49093"]}]
    # services that are not running are not scraped (they would only read as down)
    assert set(jobs) == {"order-svc", "kpi-svc", "prometheus", "alertmanager"}


def test_the_project_rules_and_the_local_alertmanager_are_used():
    config = local_config()
    assert config["rule_files"] == [str(REPO / "deploy" / "prometheus" / "rules" / "*.rules.yml")]
    assert config["alerting"] == {"alertmanagers": [{"static_configs": [{"targets": ["127.0.0.1:49093"]}]}]}
    assert config["global"]["external_labels"] == {"environment": "local"}
    assert config["global"]["scrape_interval"] == PROJECT["global"]["scrape_interval"]


def test_intervals_can_be_shortened_for_a_demo_or_a_test():
    config = local_config(prometheus_scrape_interval="1s", prometheus_evaluation_interval="2s")
    assert config["global"]["scrape_interval"] == config["global"]["scrape_timeout"] == "1s"
    assert config["global"]["evaluation_interval"] == "2s"
    assert PROJECT["global"]["scrape_interval"] == "15s", "the project's file itself is left alone"


def test_alertmanager_keeps_alerts_on_its_page_without_sending_them_anywhere():
    config = alertmanager_config()
    assert config["receivers"] == [{"name": "local"}]
    assert config["route"]["receiver"] == "local"
