"""The simulator's tally beside kpi-svc's figures: ask GET /v1/kpis until they agree (kpi-svc
consumes asynchronously) or the wait is over, less what kpi-svc reported before the run began."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
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
    stack_gone: str | None = None  # why the run gave up on the stack (no service answered for long)

    @property
    def agrees(self) -> bool | None:
        verdicts = [row.agrees for row in self.rows if row.agrees is not None]
        return all(verdicts) if verdicts else None


def alone(tally: Tally, window_name: str, with_costs: bool) -> list[Row]:
    """The tally's figures over the window ending now, with nothing beside them."""
    window = Window.ending(window_name, ms(datetime.now(UTC)))
    return [Row(kpi, figure, None) for kpi, figure in measure(tally, window, with_costs=with_costs).items()]


NOTIFIED_KPIS = frozenset({"notification_timeliness", "status_communication_accuracy", "cost_per_order"})


async def compare(api: KpiApi, tally: Tally, window_name: str, baseline: dict | None, with_costs: bool,
                  wait_s: float, *, extra_windows: tuple[str, ...] = (),
                  refresh: Callable[[], Awaitable[object]] | None = None) -> tuple[list[Row], str | None]:
    """Rows of `window_name`, each also holding its figures in `extra_windows`; `baseline` is
    what kpi-svc reported per window before the run began. `refresh` reads again what the
    simulator learns from the services at the end (what notify-svc sent), first and whenever a
    KPI that depends on it differs."""
    deadline = None
    before = baseline or {}
    stale = True
    while True:
        if refresh is not None and stale:
            await refresh()
        if deadline is None:  # the wait counts from the first reading (which may wait for notify-svc itself)
            deadline = time.monotonic() + wait_s
        try:
            reports = {name: await api.kpis(name) for name in (window_name, *extra_windows)}
        except ApiError as error:
            return alone(tally, window_name, with_costs), f"kpi-svc did not answer: {error}"
        figures = {name: _side_by_side(tally, report, before.get(name), with_costs) for name, report in reports.items()}
        rows = [Row(kpi, mine, theirs, tuple((name, *figures[name][kpi]) for name in extra_windows if kpi in figures[name]))
                for kpi, (mine, theirs) in figures[window_name].items()]
        if all(row.agrees for row in rows) or time.monotonic() > deadline:
            note = None
            if any(figures.get("denominator") for figures in before.get(window_name, {}).get("kpis", {}).values()):
                note = "(kpi-svc's figures less what it reported before this run began)"
            return rows, note
        stale = any(not row.agrees for row in rows if row.kpi in NOTIFIED_KPIS)
        await asyncio.sleep(1.0)


def comparable_windows(baseline: dict | None, main: str, windows: tuple[str, ...]) -> tuple[str, ...]:
    """The other windows to compare: those kpi-svc had nothing in before the run (earlier figures
    slide out of a short window while the run goes on, so they cannot be subtracted)."""
    def empty(name: str) -> bool:
        figures = (baseline or {}).get(name, {}).get("kpis", {}).values()
        return not any(figure.get("denominator") for figure in figures)
    return tuple(name for name in windows if name != main and empty(name))


def _side_by_side(tally: Tally, report: dict, baseline: dict | None, with_costs: bool) -> dict[str, tuple]:
    window = Window.ending(report["window"], ms(parse_time(report["as_of"])))
    theirs = kpi_svc_measures(report, baseline)
    return {kpi: (figure, theirs.get(kpi)) for kpi, figure in measure(tally, window, with_costs=with_costs).items()}


def report_json(outcome: Outcome) -> dict:
    """The summary as JSON (`--report`): what happened, errors, each KPI side by side, each order's expected status."""
    return {
        "run_tag": outcome.run_tag,
        "interrupted": outcome.interrupted,
        "stack_gone": outcome.stack_gone,
        "events": dict(outcome.tally.events),
        "requests": outcome.traffic.requests,
        "errors": dict(outcome.traffic.errors),
        "unintended": outcome.traffic.unintended,
        "kpis": {row.kpi: {"simulator": [row.simulator.numerator, row.simulator.denominator],
                           "kpi_svc": None if row.kpi_svc is None else [row.kpi_svc.numerator, row.kpi_svc.denominator],
                           "agree": row.agrees,
                           "windows": {name: {"simulator": [mine.numerator, mine.denominator],
                                              "kpi_svc": None if theirs is None else [theirs.numerator, theirs.denominator]}
                                       for name, mine, theirs in row.others}} for row in outcome.rows},
        "orders": {str(r.index): {"order_id": r.order_id, "expected_status": r.expected_status()}
                   for r in outcome.tally.orders.values()},
    }
