"""The traffic simulator against the whole stack, started as a user starts it (`orderpulse up`):
a month of history for 200 orders, then every order reads back with the status the simulator
expects and kpi-svc's numerators and denominators equal the simulator's tally. `orderpulse demo`
stops everything on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from orderpulse.simulator.api import NotifyApi, OrderApi
from orderpulse.simulator.clients import Stack, Traffic, Transport, parse_time
from orderpulse.simulator.comparison import Outcome
from orderpulse.simulator.config import ErrorMix, SimulationConfig
from orderpulse.simulator.measures import KNOWN_KPIS, Window, measure
from orderpulse.simulator.notices import read_notifications
from orderpulse.simulator.runner import simulate
from orderpulse.simulator.tally import ms
from stack_process import alive, interrupt, orderpulse, stack_env, wait_for

pytestmark = pytest.mark.e2e

ORDERS = 200
SEED = 7


def backfill(stack_json: Path) -> tuple[Outcome, list[str]]:
    config = SimulationConfig(stack_path=stack_json, seed=SEED, backfill_s=30 * 86400, backfill_orders=ORDERS,
                              duration_s=0, kpi_wait_s=0, progress_every_s=30)
    lines: list[str] = []
    outcome = asyncio.run(simulate(config, Stack.load(stack_json), lines.append, handle_signals=False))
    return outcome, lines


def statuses_that_differ(stack: Stack, outcome: Outcome) -> dict[str, tuple[str, str]]:
    headers = {"Authorization": f"Bearer {stack.api_keys['storefront']}"}
    differ = {}
    with httpx.Client(base_url=stack.services["order-svc"], headers=headers, timeout=10) as client:
        for record in outcome.tally.orders.values():
            answer = client.get(f"/v1/orders/{record.order_id}")
            assert answer.status_code == 200, answer.text
            if answer.json()["status"] != record.expected_status():
                differ[record.order_id] = (answer.json()["status"], record.expected_status())
    return differ


async def _read_back_notifications(stack: Stack, outcome: Outcome) -> None:
    transport = Transport(stack, Traffic())
    try:
        await read_notifications(NotifyApi(transport), OrderApi(transport), outcome.tally)
    finally:
        await transport.close()


def kpis_that_differ(stack: Stack, outcome: Outcome) -> dict[str, tuple]:
    with_costs = True
    if stack.has("notify-svc"):  # what notify-svc sent is read back as the run does at its end
        asyncio.run(_read_back_notifications(stack, outcome))
    answer = httpx.get(stack.services["kpi-svc"] + "/v1/kpis", params={"window": "30d"},
                       headers={"Authorization": f"Bearer {stack.api_keys['admin']}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    window = Window.ending("30d", ms(parse_time(report["as_of"])))
    mine = measure(outcome.tally, window, with_costs=with_costs)
    differ = {}
    for kpi, figure in mine.items():
        theirs = report["kpis"][kpi]
        if abs(theirs["numerator"] - figure.numerator) > 1e-4 or abs(theirs["denominator"] - figure.denominator) > 1e-4:
            differ[kpi] = ((figure.numerator, figure.denominator), (theirs["numerator"], theirs["denominator"]))
    return differ


def until_none(check, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        left = check()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(1.0)


def test_a_month_of_simulated_history_reads_back_as_the_simulator_tallied_it(tmp_path: Path):
    # surveys go out at once: with feedback-svc's default hour, the first run's last surveys (and
    # their emails) would go out during the second run, which cannot tell them from its own
    env = stack_env(tmp_path / "state", ORDERPULSE_SURVEY_DELAY="1s")
    process = orderpulse(["up"], env)
    try:
        stack_json = tmp_path / "state" / "stack.json"
        wait_for(stack_json, process)
        stack = Stack.load(stack_json)
        outcome, lines = backfill(stack_json)
        log = "\n".join(lines)
        assert outcome.tally.stories_finished == ORDERS, log
        assert outcome.traffic.unintended == [], log
        assert len(outcome.tally.orders) == ORDERS
        events = outcome.tally.events
        for happened in ("held and corrected", "payment authorized", "backordered", "restocked", "packed with document errors",
                         "delayed", "orders delivered", "labor shifts"):
            assert events[happened] > 0, f"no {happened!r} in {dict(events)}"

        assert until_none(lambda: statuses_that_differ(stack, outcome), 90) == {}
        if stack.has("kpi-svc"):
            assert until_none(lambda: kpis_that_differ(stack, outcome), 120) == {}

        # the command line, on the same stack: its summary sets kpi-svc's figures (less what it had before) beside its tally
        report_path = tmp_path / "report.json"
        cli = subprocess.run(
            [sys.executable, "-m", "orderpulse.cli", "simulate", "--stack", str(stack_json), "--backfill", "2d",
             "--backfill-orders", "20", "--duration", "0", "--seed", "8", "--report", str(report_path),
             "--kpi-wait", "90s"],
            env=env, capture_output=True, text=True, timeout=300,
        )
        assert cli.returncode == 0, cli.stdout + cli.stderr
        assert "simulation summary" in cli.stdout and "perfect_order" in cli.stdout
        report = json.loads(report_path.read_text())
        assert report["unintended"] == [], cli.stdout
        if stack.has("kpi-svc"):
            assert all(row["agree"] for row in report["kpis"].values()), cli.stdout
        else:
            assert "kpi-svc is not in stack.json" in cli.stdout
    finally:
        code, output, family = interrupt(process)
    assert code == 0, output
    assert alive(family) == []


def test_demo_replays_history_runs_live_traffic_and_ctrl_c_stops_everything(tmp_path: Path):
    env = stack_env(tmp_path / "state")
    process = orderpulse(["demo", "--backfill", "3d", "--backfill-orders", "20", "--rate", "2/s",
                          "--progress-every", "1s"], env)
    seen: list[str] = []
    deadline = time.monotonic() + 240
    try:
        for line in process.stdout:
            seen.append(line)
            if "] live " in line and "placed 0 " not in line:  # a progress line of the live phase
                break
            assert time.monotonic() < deadline, "".join(seen)
        assert any("] live " in line for line in seen), "".join(seen)
        assert any("Where to look" in line for line in seen), "".join(seen)
    finally:
        code, output, family = interrupt(process)
    output = "".join(seen) + output
    assert code == 0, output
    assert "history replayed" in output and "simulation summary" in output
    assert "OrderPulse stopped" in output
    assert alive(family) == [], output


JOURNEY_ORDERS = 170
SERVICES = {"order-svc", "fulfillment-svc", "notify-svc", "feedback-svc", "kpi-svc"}


def test_the_whole_customer_journey_through_five_services_agrees_with_kpi_svc_on_every_kpi(tmp_path: Path):
    """Ten days of history and 15 seconds of live traffic with every error made three times
    as often (and issues, some handled late, for every damaged and late order; a late resolution
    comes 2-3 days after the issue opens, so with a week of history every one of them could fall
    past its end): customers with preferences and quiet hours, surveys answered on the page (live) and
    imported with their time (history), issues opened, acknowledged and resolved (some late),
    courtesy calls, returns; kpi-svc's numerator and denominator equal the tally's on every KPI in
    every window."""
    env = stack_env(tmp_path / "state", ORDERPULSE_SURVEY_DELAY="1s")
    process = orderpulse(["up"], env)
    try:
        stack_json = tmp_path / "state" / "stack.json"
        wait_for(stack_json, process)
        stack = Stack.load(stack_json)
        assert set(stack.services) >= SERVICES, stack.services
        mix = ErrorMix().scaled(3).with_text("billing_issue=10%,issue_ack_late=50%,issue_resolve_late=50%,"
                                             "damage_issue=1,late_issue=1")
        config = SimulationConfig(stack_path=stack_json, seed=11, backfill_s=10 * 86400, backfill_orders=JOURNEY_ORDERS,
                                  rate_per_s=2, duration_s=15, live_speedup=8640, drain_s=90, kpi_wait_s=120,
                                  mix=mix, progress_every_s=15)
        lines: list[str] = []
        outcome = asyncio.run(simulate(config, stack, lines.append, handle_signals=False))
        log = "\n".join(lines)
        assert outcome.traffic.unintended == [], log
        assert outcome.tally.stories_aborted == 0, log
        events = outcome.tally.events
        for happened in ("survey answers imported", "surveys answered on the page", "issues opened (damaged)",
                         "issues opened (late)", "issues opened (billing)", "issues acknowledged late",
                         "issues resolved late", "courtesy calls made", "return received", "payment failed",
                         "packed with document errors", "delayed"):
            assert events[happened] > 0, f"no {happened!r} in {dict(events)}"
        sent = [note for order in outcome.tally.orders.values() for note in order.notifications]
        assert {note.channel for note in sent} >= {"email", "sms"}, {note.channel for note in sent}
        assert stack.emails_caught(), "the mail sink caught no email"

        rows = {row.kpi: row for row in outcome.rows}
        assert set(rows) == set(KNOWN_KPIS)
        assert all(row.agrees for row in outcome.rows), log
        assert all(row.simulator.denominator > 0 for row in outcome.rows), log  # every KPI had something to count
        assert {name for name, _mine, _theirs in rows["csat"].others} == {"1h", "24h", "7d"}, log
    finally:
        code, output, family = interrupt(process)
    assert code == 0, output
    assert alive(family) == []
