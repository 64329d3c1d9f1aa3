"""A real Prometheus beside the stack: `orderpulse up --with-prometheus`, failing traffic, a burn-rate alert.

Prometheus and Alertmanager are Debian's servers unpacked into .tools/ by scripts/install_tools.sh;
Prometheus runs the project's prometheus.yml (its targets replaced by stack.json's services) and
the project's rule files, with one-second scrape and evaluation intervals so the test is quick.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from orderpulse.stack.processes import free_port
from stack_process import alive, interrupt, orderpulse, stack_env

pytestmark = pytest.mark.e2e

# kpis.md: the gauges carry these windows; every burn-rate tier reads two of them.
KPI_WINDOWS = {"1h", "24h", "7d", "30d", "5m", "30m", "6h", "3d"}


def wait_until(check, what: str, timeout_s: float, process: subprocess.Popen, seen=None):
    """Poll `check` until it is truthy; on timeout say what `seen` (else the last result) shows."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"`orderpulse up` exited early:\n{process.stdout.read()}")
        last = check()
        if last:
            return last
        time.sleep(1)
    raise AssertionError(f"{what} within {timeout_s} s; last seen: {seen() if seen else last!r}")


def described_stack(path: Path) -> dict | None:
    try:
        stack = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return stack if "prometheus_url" in stack else None


def query(prometheus: str, promql: str) -> list[dict]:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": promql}, timeout=5).json()
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def windows_with_orders(prometheus: str) -> set[str]:
    found = query(prometheus, 'orderpulse_kpi_denominator{kpi="order_entry_accuracy"} > 0')
    return {series["metric"]["window"] for series in found}


def scraped_jobs(prometheus: str) -> dict[str, str]:
    targets = httpx.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    return {target["labels"]["job"]: target["health"] for target in targets}


def burn_alerts(prometheus: str) -> list[dict]:
    alerts = httpx.get(f"{prometheus}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return [alert for alert in alerts if alert["labels"]["alertname"] == "OrderPulseKpiErrorBudgetFastBurn"
            and alert["labels"].get("kpi") == "order_entry_accuracy" and alert["state"] in ("pending", "firing")]


def test_prometheus_scrapes_the_stack_and_a_broken_target_raises_the_fast_burn_alert(tmp_path: Path):
    state = tmp_path / "state"
    env = stack_env(
        state,
        ORDERPULSE_PROMETHEUS_PORT=str(free_port()),
        ORDERPULSE_ALERTMANAGER_PORT=str(free_port()),
        ORDERPULSE_PROMETHEUS_SCRAPE_INTERVAL="1s",
        ORDERPULSE_PROMETHEUS_EVALUATION_INTERVAL="1s",
    )
    process = orderpulse(["up", "--with-prometheus"], env)
    try:
        stack = wait_until(lambda: described_stack(state / "stack.json"), "stack.json with prometheus_url", 150,
                           process)
        prometheus, alertmanager = stack["prometheus_url"], stack["alertmanager_url"]
        assert prometheus == f"http://127.0.0.1:{env['ORDERPULSE_PROMETHEUS_PORT']}"
        assert httpx.get(f"{alertmanager}/-/ready", timeout=5).status_code == 200
        alerts_page = httpx.get(stack["alerts_page"], timeout=5)
        assert alerts_page.status_code == 200 and "OrderPulseKpiErrorBudgetFastBurn" in alerts_page.text

        # every service of stack.json is a scrape job, named like the service, and up
        expected = dict.fromkeys(stack["services"], "up")
        wait_until(lambda: {job: health for job, health in scraped_jobs(prometheus).items() if job in expected}
                   == expected, "every service scraped and up", 30, process)
        managers = httpx.get(f"{prometheus}/api/v1/alertmanagers", timeout=5).json()["data"]["activeAlertmanagers"]
        assert [manager["url"] for manager in managers] == [f"{alertmanager}/api/v2/alerts"]

        # storefronts sending stale prices: most orders are held for price_mismatch, so order entry
        # accuracy (target 0.98) spends its budget far faster than 14.4x
        simulate = subprocess.run(
            [sys.executable, "-m", "orderpulse.cli", "simulate", "--stack", str(state / "stack.json"),
             "--rate", "10/s", "--duration", "20s", "--drain", "5s", "--kpi-wait", "0", "--seed", "11",
             "--mix", "price_mistake=60%"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )
        assert simulate.returncode == 0, simulate.stdout + simulate.stderr

        wait_until(lambda: windows_with_orders(prometheus) >= KPI_WINDOWS, "KPI series with orders in every window",
                   30, process, seen=lambda: sorted(windows_with_orders(prometheus)))
        [target] = query(prometheus, 'orderpulse:kpi_target:max{kpi="order_entry_accuracy"}')
        assert float(target["value"][1]) == 0.98
        [alert] = wait_until(lambda: burn_alerts(prometheus), "the fast-burn alert for order entry accuracy", 30,
                             process)
        assert alert["labels"]["severity"] == "critical" and alert["labels"]["slo_window"] == "1h/5m"
        assert alert["annotations"]["runbook_url"].endswith("#orderpulsekpierrorbudgetfastburn")
        [burn] = query(prometheus, 'orderpulse:kpi_burn_rate:5m{kpi="order_entry_accuracy"}')
        assert float(burn["value"][1]) > 14.4
    finally:
        if process.poll() is None:
            code, output, family = interrupt(process, timeout_s=90)
        else:  # it died on its own: the assertion that noticed says why
            code, output, family = process.returncode, "", []
    assert code == 0, output
    assert f"alerts: {stack['alerts_page']}" in output
    assert alive(family) == [], f"left behind: {alive(family)}\n{output}"
