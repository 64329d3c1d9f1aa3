"""What the deployment tests hold the artefacts to, and small helpers to read them.

The expectations are copied from the spec on purpose (not imported from deploy/catalog.py), so a
wrong port or target in the catalog fails a test instead of spreading everywhere.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
PYTHON = REPO_ROOT / ".venv" / "bin" / "python"

# api.md: service -> (package, port)
SERVICES = {
    "order-svc": ("order_svc", 8001),
    "fulfillment-svc": ("fulfillment_svc", 8002),
    "notify-svc": ("notify_svc", 8003),
    "feedback-svc": ("feedback_svc", 8004),
    "kpi-svc": ("kpi_svc", 8005),
}

# events.md: the five topics (customers compacted), 12 partitions, replication 3 in real clusters.
TOPICS = ("orderpulse.customers", "orderpulse.orders", "orderpulse.fulfillment", "orderpulse.notifications",
          "orderpulse.feedback")
DLQ_TOPICS = tuple(f"orderpulse.dlq.{service}" for service in SERVICES)

# kpis.md, "Targets": perfect_order 0.95 · on_time_delivery 0.95 · shipped_within_sla 0.95 ·
# order_entry_accuracy 0.98 · csat 0.95 · issue_ack_within_sla 0.95 · issue_resolved_within_sla 0.95 · others 0.95.
KPI_TARGETS = {
    "perfect_order": 0.95, "on_time_delivery": 0.95, "in_full": 0.95, "damage_free": 0.95,
    "documentation_accuracy": 0.95, "shipped_within_sla": 0.95, "order_entry_accuracy": 0.98,
    "invoice_accuracy": 0.95, "first_time_fill_rate": 0.95, "csat": 0.95, "issue_ack_within_sla": 0.95,
    "issue_resolved_within_sla": 0.95, "notification_timeliness": 0.95, "status_communication_accuracy": 0.95,
}

# kpis.md, "Prometheus metrics (kpi-svc), names fixed": name -> type.
KPI_METRICS = {
    "orderpulse_kpi_ratio": "gauge",
    "orderpulse_kpi_numerator": "gauge",
    "orderpulse_kpi_denominator": "gauge",
    "orderpulse_kpi_target_ratio": "gauge",
    "orderpulse_orders_delivered_total": "counter",
    "orderpulse_orders_perfect_total": "counter",
    "orderpulse_order_component_failures_total": "counter",
    "orderpulse_order_verdict_revisions_total": "counter",
    "orderpulse_order_processing_seconds": "histogram",
    "orderpulse_order_entry_seconds": "histogram",
    "orderpulse_order_time_to_ship_seconds": "histogram",
    "orderpulse_notification_latency_seconds": "histogram",
    "orderpulse_survey_responses_total": "counter",
    "orderpulse_issue_sla_breaches_total": "counter",
    "orderpulse_kpi_events_total": "counter",
    "orderpulse_kpi_duplicate_events_total": "counter",
    "orderpulse_kpi_freshness_seconds": "gauge",
}
# architecture.md "Observability": the platform metrics every service exposes (names fixed by the lead).
PLATFORM_METRICS = {
    "orderpulse_http_requests_total": "counter",
    "orderpulse_http_request_duration_seconds": "histogram",
    "orderpulse_consumer_lag": "gauge",
    "orderpulse_dlq_records_total": "counter",
    "orderpulse_outbox_backlog": "gauge",
    "orderpulse_outbox_publish_lag_seconds": "histogram",
}
EXPOSED_METRICS = {**KPI_METRICS, **PLATFORM_METRICS}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def exposed_series_names() -> set[str]:
    names = set()
    for name, kind in EXPOSED_METRICS.items():
        names.add(name)
        if kind == "histogram":
            names.update(name + suffix for suffix in HISTOGRAM_SUFFIXES)
    return names


_METRIC = re.compile(r"(?<![\w:.$\"'])(orderpulse[_:][a-zA-Z0-9_:]*)")


def metric_names_in(promql: str) -> set[str]:
    """Metric and recording-rule names (orderpulse_* and orderpulse:*) an expression reads."""
    without_strings = re.sub(r'"[^"]*"', '""', promql)
    return set(_METRIC.findall(without_strings))


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text())


def load_yaml_documents(text: str) -> list[dict]:
    return [document for document in yaml.safe_load_all(text) if document]


def rule_files() -> list[Path]:
    return sorted((DEPLOY / "prometheus" / "rules").glob("*.rules.yml"))


def all_rules() -> list[dict]:
    return [rule for path in rule_files() for group in load_yaml(path)["groups"] for rule in group["rules"]]


def dashboards() -> dict[str, dict]:
    import json

    return {path.name: json.loads(path.read_text()) for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))}


def dashboard_queries(dashboard: dict) -> list[tuple[str, str]]:
    """(panel title, expr) of every query of every panel, rows included."""
    queries = []
    for panel in dashboard["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                queries.append((inner["title"], target["expr"]))
    return queries


def tool(relative: str, name: str) -> str:
    """A command-line tool from .tools/ (scripts/install_tools.sh) or else from PATH."""
    local = REPO_ROOT / relative
    if local.exists():
        return str(local)
    found = shutil.which(name)
    assert found, f"{name} not found: run scripts/install_tools.sh (it unpacks Debian's package into .tools/)"
    return found


def promtool() -> str:
    return tool(".tools/prometheus/usr/bin/promtool", "promtool")


def amtool() -> str:
    return tool(".tools/alertmanager/usr/bin/amtool", "amtool")


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False, **kwargs)


def python() -> str:
    import sys

    return str(PYTHON) if PYTHON.exists() else sys.executable
