"""Reports over one or several bucket stores (one per partition): the shapes of GET /v1/kpis
and GET /v1/kpis/perfect-order/failures in kpis.md."""

from __future__ import annotations

from collections.abc import Iterable

from .buckets import BucketStore
from .catalog import (
    COMPONENT_DEN,
    COMPONENT_NUM,
    COMPONENTS,
    DEN,
    NUM,
    PERFECT_D,
    PERFECT_N,
    REASON_SLOT,
    SLOT_COUNT,
)
from .rules import GROUP_DIMENSIONS, KPI_NAMES, KpiRules, window_seconds
from .values import MONEY_SCALE, format_ms

_SECONDS_PER_HOUR = 3600


def window_range(rules: KpiRules, window: str, now_ms: int) -> tuple[int, int]:
    """Fine bucket indexes (inclusive) of `window` ending at `now_ms`.

    The window is the last W / bucket buckets, the newest being the one that holds `now`:
    `1h` at 10:30:20 covers [09:31:00, 10:31:00).
    """
    if window not in rules.windows:
        raise ValueError(f"unknown window {window!r}; one of {', '.join(rules.windows)}")
    bucket_ms = rules.bucket_s * 1000
    hi = now_ms // bucket_ms
    return hi - window_seconds(window) // rules.bucket_s + 1, hi


def sum_stores(stores: Iterable[BucketStore], lo: int, hi: int, by: str | None) -> dict[str | None, list]:
    out: dict[str | None, list] = {}
    for store in stores:
        for group, cell in store.window_sums(lo, hi, by).items():
            total = out.get(group)
            out[group] = list(cell) if total is None else [a + b for a, b in zip(total, cell, strict=True)]
    return out


def _entry(rules: KpiRules, kpi: str, value: float | None, numerator: float, denominator: float) -> dict:
    target = rules.target(kpi)
    meets = None
    if value is not None and target is not None:
        meets = value <= target if kpi in rules.lower_is_better else value >= target
    return {
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "target": target,
        "meets_target": meets,
    }


def kpi_values(cell: list | None, rules: KpiRules) -> dict[str, dict]:
    """Every KPI of kpis.md from one summed cell.

    perfect_order_multiplicative: value = product of the four component ratios; denominator =
    delivered orders; numerator = value x denominator (the perfect orders the product implies).
    orders_per_labor_hour: numerator orders, denominator labor hours. cost_per_order: numerator
    cost in currency units, denominator orders.
    """
    cell = cell or [0] * SLOT_COUNT
    out: dict[str, dict] = {}
    for kpi in KPI_NAMES:
        if kpi == "perfect_order_multiplicative":
            delivered = cell[PERFECT_D]
            value = None
            if delivered:
                value = 1.0
                for num, den in zip(COMPONENT_NUM, COMPONENT_DEN, strict=True):
                    value *= cell[num] / cell[den]
            out[kpi] = _entry(rules, kpi, value, 0 if value is None else round(value * delivered, 6), delivered)
            continue
        numerator, denominator = cell[NUM[kpi]], cell[DEN[kpi]]
        if kpi == "orders_per_labor_hour":
            hours = denominator / _SECONDS_PER_HOUR
            value = numerator / hours if denominator else None
            out[kpi] = _entry(rules, kpi, value, numerator, round(hours, 6))
        elif kpi == "cost_per_order":
            cost = numerator / MONEY_SCALE
            out[kpi] = _entry(rules, kpi, cost / denominator if denominator else None, cost, denominator)
        else:
            out[kpi] = _entry(rules, kpi, numerator / denominator if denominator else None, numerator, denominator)
    return out


def build_report(stores: Iterable[BucketStore], rules: KpiRules, window: str, now_ms: int, by: str | None = None) -> dict:
    """GET /v1/kpis: {"window", "as_of", "kpis"} or, with `by`, {"window", "as_of", "by", "groups"}."""
    lo, hi = window_range(rules, window, now_ms)
    report: dict = {"window": window, "as_of": format_ms(now_ms)}
    if by is None:
        report["kpis"] = kpi_values(sum_stores(stores, lo, hi, None).get(None), rules)
        return report
    if by not in GROUP_DIMENSIONS:
        raise ValueError(f"unknown group {by!r}; one of {', '.join(GROUP_DIMENSIONS)}")
    sums = sum_stores(stores, lo, hi, by)
    report["by"] = by
    # a group whose cells were all retracted (its orders moved to another group) is not shown
    report["groups"] = {group: {"kpis": kpi_values(sums[group], rules)} for group in sorted(sums) if any(sums[group])}
    return report


def build_failures(stores: Iterable[BucketStore], rules: KpiRules, window: str, now_ms: int) -> dict:
    """The Pareto of what to fix: failed delivered orders per component and reason, largest first.

    A failed component counts once per order, under its first reason (REASONS order), so a
    component's reasons add up to its failures; an order failing two components counts in both.
    """
    lo, hi = window_range(rules, window, now_ms)
    cell = sum_stores(stores, lo, hi, None).get(None) or [0] * SLOT_COUNT
    failures = [
        {"component": component, "reason": reason, "orders": cell[slot]}
        for (component, reason), slot in REASON_SLOT.items()
        if cell[slot]
    ]
    failures.sort(key=lambda item: (-item["orders"], item["component"], item["reason"]))
    by_component = {
        component: sum(cell[slot] for (c, _r), slot in REASON_SLOT.items() if c == component)
        for component in COMPONENTS
    }
    return {
        "window": window,
        "as_of": format_ms(now_ms),
        "delivered": cell[PERFECT_D],
        "perfect": cell[PERFECT_N],
        "failed": cell[PERFECT_D] - cell[PERFECT_N],
        "components": dict(sorted(by_component.items(), key=lambda kv: (-kv[1], kv[0]))),
        "failures": failures,
    }
