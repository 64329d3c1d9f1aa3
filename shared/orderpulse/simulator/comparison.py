"""The simulator's tally beside kpi-svc's figures: ask GET /v1/kpis until they agree (kpi-svc
consumes asynchronously) or the wait is over, less what kpi-svc reported before the run began."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from orderpulse.simulator.api import KpiApi
from orderpulse.simulator.clients import ApiError, Traffic, parse_time
from orderpulse.simulator.measures import Window, measure
from orderpulse.simulator.report import Row, kpi_svc_measures
from orderpulse.simulator.tally import Tally, ms


@dataclass
class Outcome:
    run_tag: str
    tally: Tally
    traffic: Traffic
    rows: list[Row]
    kpi_svc_note: str | None
    interrupted: bool

    @property
    def agrees(self) -> bool | None:
        verdicts = [row.agrees for row in self.rows if row.agrees is not None]
        return all(verdicts) if verdicts else None


def alone(tally: Tally, window_name: str, with_costs: bool) -> list[Row]:
    """The tally's figures over the window ending now, with nothing beside them."""
    window = Window.ending(window_name, ms(datetime.now(UTC)))
    return [Row(kpi, figure, None) for kpi, figure in measure(tally, window, with_costs=with_costs).items()]


async def compare(api: KpiApi, tally: Tally, window_name: str, baseline: dict | None, with_costs: bool,
                  wait_s: float) -> tuple[list[Row], str | None]:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            report = await api.kpis(window_name)
        except ApiError as error:
            return alone(tally, window_name, with_costs), f"kpi-svc did not answer: {error}"
        window = Window.ending(window_name, ms(parse_time(report["as_of"])))
        theirs = kpi_svc_measures(report, baseline)
        rows = [Row(kpi, figure, theirs.get(kpi)) for kpi, figure in measure(tally, window, with_costs=with_costs).items()]
        if all(row.agrees for row in rows) or time.monotonic() > deadline:
            note = None
            if baseline and any(figures.get("denominator") for figures in baseline.get("kpis", {}).values()):
                note = "(kpi-svc's figures less what it reported before this run began)"
            return rows, note
        await asyncio.sleep(1.0)


def report_json(outcome: Outcome) -> dict:
    """The summary as JSON (`--report`): what happened, errors, each KPI side by side, each order's expected status."""
    return {
        "run_tag": outcome.run_tag,
        "interrupted": outcome.interrupted,
        "events": dict(outcome.tally.events),
        "requests": outcome.traffic.requests,
        "errors": dict(outcome.traffic.errors),
        "unintended": outcome.traffic.unintended,
        "kpis": {row.kpi: {"simulator": [row.simulator.numerator, row.simulator.denominator],
                           "kpi_svc": None if row.kpi_svc is None else [row.kpi_svc.numerator, row.kpi_svc.denominator],
                           "agree": row.agrees} for row in outcome.rows},
        "orders": {str(r.index): {"order_id": r.order_id, "expected_status": r.expected_status()}
                   for r in outcome.tally.orders.values()},
    }
