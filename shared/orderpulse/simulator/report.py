"""What a person sees: a progress line every few seconds, and the summary at the end with the
simulator's own tally beside what kpi-svc reports, KPI by KPI, marked agree or differ."""

from __future__ import annotations

import math
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass

from orderpulse.simulator.clients import Traffic
from orderpulse.simulator.measures import CLAIM_WINDOW_MS, COMPONENTS, Measure
from orderpulse.simulator.tally import IssueRecord, Tally

Say = Callable[[str], None]
FLOAT_KPIS = frozenset({"perfect_order_multiplicative", "orders_per_labor_hour", "cost_per_order"})


class Progress:
    """One line every few seconds: phase, orders placed and delivered, stories in flight, errors."""

    def __init__(self, tally: Tally, traffic: Traffic, say: Say) -> None:
        self.tally, self.traffic, self.say = tally, traffic, say
        self.phase = "setting up"
        self.planned = 0
        self.behind_s: Callable[[], float] = lambda: 0.0
        self.emails: Callable[[], int | None] = lambda: None  # emails the local mail sink caught
        self.kpis_1h: dict | None = None  # kpi-svc's latest 1h figures (the runner refreshes them)
        self.pending_notifications = 0
        self._started = time.monotonic()
        self._last = (self._started, 0)

    def line(self) -> str:
        now = time.monotonic()
        events, tally, traffic = self.tally.events, self.tally, self.traffic
        since, requests = self._last
        rate = (traffic.requests - requests) / max(1e-6, now - since)
        self._last = (now, traffic.requests)
        placed = f"{events['placed']}/{self.planned}" if self.planned else f"{events['placed']}"
        parts = [f"[{now - self._started:5.0f}s] {self.phase}", f"placed {placed}",
                 f"delivered {events['orders delivered']}", f"cancelled {events['cancelled']}",
                 f"in flight {tally.in_flight}", f"{rate:.0f} req/s"]
        parts += self._journey()
        if self.phase.startswith("live") and self.behind_s() > 2:
            parts.append(f"behind schedule {self.behind_s():.0f}s")
        failures = {kind: n for kind, n in traffic.errors.items() if not kind.startswith("retried")}
        if failures:
            top = sorted(failures.items(), key=lambda item: -item[1])[:3]
            parts.append("errors " + ", ".join(f"{kind} ×{n}" for kind, n in top))
        else:
            parts.append("no errors")
        return " · ".join(parts)

    def _journey(self) -> list[str]:
        """After the delivery: mail, surveys, issues; and what kpi-svc makes of the last hour."""
        parts = []
        emails = self.emails()
        if emails is not None:
            parts.append(f"emails {emails}")
        if self.tally.events["surveys answered"]:
            parts.append(f"surveys answered {self.tally.events['surveys answered']}")
        issues = [issue for order in self.tally.orders.values() for issue in order.issues.values()]
        if issues:
            now_ms = int(time.time() * 1000)
            still_open = sum(1 for issue in issues if issue.resolved_ms is None)
            breached = sum(1 for issue in issues if _breached(issue, now_ms))
            parts.append(f"issues open {still_open} / breached {breached}")
        figures = (self.kpis_1h or {}).get("kpis", {})
        shown = [f"{label} {figures[kpi]['value']:.1%}" for kpi, label in (("perfect_order", "perfect"),
                 ("on_time_delivery", "on time")) if (figures.get(kpi) or {}).get("value") is not None]
        if shown:
            parts.append("1h " + ", ".join(shown))
        return parts

    def show(self) -> None:
        self.say(self.line())


def _breached(issue: IssueRecord, now_ms: int) -> bool:
    """A clock passed its due before the issue was acknowledged / resolved."""
    acked, resolved = issue.acknowledged_ms(), issue.resolved_ms
    return (min(acked if acked is not None else now_ms, now_ms) > issue.ack_due_ms
            or min(resolved if resolved is not None else now_ms, now_ms) > issue.resolve_due_ms)


@dataclass(frozen=True)
class Row:
    kpi: str
    simulator: Measure
    kpi_svc: Measure | None
    others: tuple[tuple[str, Measure, Measure | None], ...] = ()  # the same KPI in other windows: (window, simulator, kpi-svc)

    @property
    def agrees(self) -> bool | None:
        """Equal numerator and denominator in the main window and in every other one compared."""
        if self.kpi_svc is None:
            return None
        return all(self._same(mine, theirs) for mine, theirs in
                   ((self.simulator, self.kpi_svc), *((mine, theirs) for _name, mine, theirs in self.others)))

    def _same(self, mine: Measure, theirs: Measure | None) -> bool:
        if theirs is None:
            return False
        tolerance = 1e-4 if self.kpi in FLOAT_KPIS else 0
        return (math.isclose(mine.numerator, theirs.numerator, abs_tol=tolerance)
                and math.isclose(mine.denominator, theirs.denominator, abs_tol=tolerance))

    def differing_windows(self) -> list[str]:
        return [f"{name}: {_figure(mine)} vs {_figure(theirs)}" for name, mine, theirs in self.others
                if not self._same(mine, theirs)]


def kpi_svc_measures(report: dict, baseline: dict | None = None) -> dict[str, Measure]:
    """kpi-svc's numerator / denominator per KPI, less what it reported before the run began.

    The multiplicative perfect order is a product, not a sum: it is formed again (as kpi-svc
    forms it) from the four components less their earlier figures.
    """
    before = (baseline or {}).get("kpis", {})
    out = {}
    for kpi, figures in report.get("kpis", {}).items():
        earlier = before.get(kpi, {})
        out[kpi] = Measure(figures["numerator"] - earlier.get("numerator", 0),
                           figures["denominator"] - earlier.get("denominator", 0))
    if before and "perfect_order_multiplicative" in out and all(kpi in out for kpi in COMPONENTS):
        delivered = out["perfect_order"].denominator
        product = math.prod(out[kpi].numerator / out[kpi].denominator for kpi in COMPONENTS) if delivered else None
        out["perfect_order_multiplicative"] = Measure(0 if product is None else round(product * delivered, 6), delivered)
    return out


def _figure(measure: Measure | None) -> str:
    if measure is None:
        return "-"
    value = "n/a" if measure.value is None else f"{measure.value:.4f}"
    return f"{measure.numerator:g} / {measure.denominator:g} = {value}"


def kpi_table(rows: list[Row]) -> list[str]:
    lines = [f"  {'kpi':<30} {'simulator':<28} {'kpi-svc':<28}"]
    for row in rows:
        verdict = {True: "agree", False: "DIFFER", None: ""}[row.agrees]
        lines.append(f"  {row.kpi:<30} {_figure(row.simulator):<28} {_figure(row.kpi_svc):<28} {verdict}")
        lines += [f"  {'':<30} in {difference}" for difference in row.differing_windows()]
    windows = sorted({name for row in rows for name, _mine, _theirs in row.others})
    if windows and any(row.kpi_svc is not None for row in rows):
        lines.append(f"  (agree: the same numerator and denominator here and in the {', '.join(windows)} windows)")
    return lines


def order_counts(tally: Tally) -> dict[str, int]:
    """The simulator's own count of what became of the orders (all of them, whatever the window)."""
    orders = list(tally.orders.values())
    delivered = [(order, order.completion()) for order in orders if order.completion() is not None]
    first_dispatches = [(order, order.first_dispatch()) for order in orders if order.first_dispatch() is not None]
    return {
        "placed": len(orders),
        "delivered": len(delivered),
        "delivered late": sum(1 for order, (at, _short) in delivered if not order.on_time(at)),
        "closed short": sum(1 for _order, (_at, short) in delivered if short),
        "damaged": sum(1 for order, (at, _short) in delivered if not order.damage_free(at, CLAIM_WINDOW_MS)),
        "with document discrepancies": sum(1 for order, (at, _short) in delivered
                                           if not order.documentation(at, CLAIM_WINDOW_MS)),
        "held and corrected": sum(1 for order in orders if order.corrected),
        "backordered": sum(1 for order in orders if order.backordered_units),
        "split shipments": sum(1 for order in orders if len(order.shipments) > 1),
        "cancelled": sum(1 for order in orders if order.cancelled_ms is not None),
        "first dispatched by the ship deadline": sum(1 for order, first in first_dispatches
                                                     if first.dispatched_ms <= order.ship_deadline_ms),
        "first dispatched late": sum(1 for order, first in first_dispatches
                                     if first.dispatched_ms > order.ship_deadline_ms),
        "returns requested": sum(order.returns for order in orders),
    }


def summary_lines(tally: Tally, traffic: Traffic, *, title: str) -> list[str]:
    lines = [f"== {title} ==",
             f"stories: {tally.stories_started} placed their order, {tally.stories_finished} finished, "
             f"{tally.stories_aborted} gave up, {tally.in_flight} still in flight"]
    lines += textwrap.wrap("orders: " + " · ".join(f"{what} {n}" for what, n in order_counts(tally).items()),
                           width=118, subsequent_indent="  ")
    lines += textwrap.wrap("steps taken: " + ", ".join(f"{kind} {n}" for kind, n in sorted(tally.events.items())),
                           width=118, subsequent_indent="  ")
    lines.append(f"requests: {traffic.requests} ({traffic.retries} retried)")
    lines += textwrap.wrap("errors by kind: " + (", ".join(f"{kind} ×{n}" for kind, n in sorted(traffic.errors.items()))
                                                 or "none"), width=118, subsequent_indent="  ")
    if traffic.unintended:
        lines.append("answers the simulator did not intend (a bug in the simulator, or in a service):")
        lines += [f"  - {sample}" for sample in traffic.unintended]
    return lines


def where_to_look(services: dict[str, str]) -> list[str]:
    """What to open while the demo runs."""
    lines = ["", "Where to look while traffic runs:"]
    for name, url in services.items():
        lines.append(f"  {name:<16} {url}/docs   metrics {url}/metrics")
    if "kpi-svc" in services:
        url = services["kpi-svc"]
        lines.append(f"  KPIs             {url}/v1/kpis?window=24h   (window 1h | 24h | 7d | 30d; &by=carrier|warehouse|tier|channel|service_level)")
        lines.append(f"  what to fix      {url}/v1/kpis/perfect-order/failures?window=7d")
    if "order-svc" in services:
        lines.append(f"  an order's story {services['order-svc']}/v1/orders/<order_id>/timeline")
    lines.append("")
    return lines
