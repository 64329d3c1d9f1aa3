"""Write deploy/prometheus/rules/kpi-slo.rules.yml: KPI error budgets and burn-rate alerts.

Multi-window, multi-burn-rate alerts as in the Google SRE workbook (chapter "Alerting on SLOs"),
over a 30-day error budget of (1 - target), for every ratio KPI with a target:

  burn  long/short  spends                              action
  14.4x  1h / 5m    2% of the budget in an hour         page   (severity critical)
   6x    6h / 30m   5% of the budget in six hours       page   (severity critical)
   3x   24h / 2h    10% of the budget in a day          ticket (severity warning)
   1x    3d / 6h    10% of the budget in three days     ticket (severity warning)

Every window is an exact event-time window from kpi-svc's gauges (kpis.md: windows 1h, 24h, 7d,
30d and, for these alerts, 5m, 30m, 6h, 3d), read as max over replicas (they all report the same
global figures). kpis.md has no 2h window: the 2h figure adds the current 1h window to the 1h
window as it stood an hour ago (two adjacent exact hours; events that arrive more than an hour
late for the older hour are missed, which only delays a ticket).

A tier fires only when the long window holds at least SLO_MIN_EVENTS events (the denominator), so
a handful of orders cannot page anyone. Targets are what kpi-svc publishes
(orderpulse_kpi_target_ratio, its settings): a KPI whose target is switched off has no budget
and no burn alert. KPIs without a default target (the value KPIs, the multiplicative perfect
order) alert only when a target is configured, comparing the 24h figure in the KPI's direction.

Recording rules: orderpulse:kpi_error_ratio:<w>, orderpulse:kpi_burn_rate:<w> (error ratio over
the allowed one), orderpulse:kpi_error_budget:ratio (1 - target) and
orderpulse:kpi_error_budget_remaining:ratio (the share of the 30-day budget left; negative when
overspent). Alerts for vanished KPI series use absent().

Run with --check to verify the checked-in file is current.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog import (  # noqa: E402
    BURN_WINDOWS,
    INFORMATIONAL_RATIO_KPIS,
    KPIS,
    LOWER_IS_BETTER,
    RUNBOOK_BASE_URL,
    SLO_MIN_EVENTS,
    VALUE_KPIS,
    WINDOWS,
)
from generated import DEPLOY_DIR, main  # noqa: E402

OUTPUT = DEPLOY_DIR / "prometheus" / "rules" / "kpi-slo.rules.yml"
SLO_KPIS = "|".join(kpi.name for kpi in KPIS)
ALL_KPIS = (*(kpi.name for kpi in KPIS), *INFORMATIONAL_RATIO_KPIS, *VALUE_KPIS)
ERROR_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "24h", "3d", "30d")
GAUGE_WINDOWS = (*WINDOWS, *BURN_WINDOWS)


class Tier:
    def __init__(self, alert: str, factor: float, long: str, short: str, spends: str, action: str, for_: str):
        self.alert, self.factor, self.long, self.short = alert, factor, long, short
        self.spends, self.action, self.for_ = spends, action, for_

    @property
    def severity(self) -> str:
        return "critical" if self.action == "page" else "warning"


TIERS = (
    Tier("OrderPulseKpiErrorBudgetFastBurn", 14.4, "1h", "5m", "2% of the 30-day error budget in one hour", "page", "2m"),
    Tier("OrderPulseKpiErrorBudgetSlowBurn", 6, "6h", "30m", "5% of the 30-day error budget in six hours", "page", "15m"),
    Tier("OrderPulseKpiErrorBudgetDailyBurn", 3, "24h", "2h", "10% of the 30-day error budget in a day", "ticket", "1h"),
    Tier("OrderPulseKpiErrorBudgetSteadyBurn", 1, "3d", "6h", "10% of the 30-day error budget in three days", "ticket",
         "3h"),
)


class _LiteralDumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str_representer)


def runbook_url(alert: str) -> str:
    base = os.environ.get("ORDERPULSE_RUNBOOK_BASE_URL", RUNBOOK_BASE_URL)
    return f"{base}#{alert.lower()}"


def _slo(metric: str, window: str, offset: str = "") -> str:
    """One window of an SLO KPI's gauge, labelled by kpi only."""
    return f'max without (window) (orderpulse:kpi_slo_{metric}:max{{window="{window}"}}{offset})'


def figure_rules() -> list[dict]:
    return [
        {"record": "orderpulse:kpi_target:max", "expr": "max by (kpi) (orderpulse_kpi_target_ratio)"},
        {"record": "orderpulse:kpi_ratio:max", "expr": "max by (kpi, window) (orderpulse_kpi_ratio)"},
        {"record": "orderpulse:kpi_numerator:max", "expr": "max by (kpi, window) (orderpulse_kpi_numerator)"},
        {"record": "orderpulse:kpi_denominator:max", "expr": "max by (kpi, window) (orderpulse_kpi_denominator)"},
    ]


def error_ratio_expr(window: str) -> str:
    if window in GAUGE_WINDOWS:
        return f"1 - {_slo('ratio', window)}"
    if window == "2h":
        good = f"{_slo('numerator', '1h')}\n   + {_slo('numerator', '1h', ' offset 1h')}"
        total = f"{_slo('denominator', '1h')}\n   + {_slo('denominator', '1h', ' offset 1h')}"
        return f"1 - (\n  ({good})\n  /\n  (({total}) > 0)\n)\n"
    raise ValueError(f"no event-time source for the {window} window")


def budget_rules() -> list[dict]:
    # Rules of one group run in order at one timestamp, so the later ones read the earlier ones.
    rules = [
        {"record": f"orderpulse:kpi_slo_{metric}:max",
         "expr": f'max by (kpi, window) (orderpulse_kpi_{metric}{{kpi=~"{SLO_KPIS}"}})'}
        for metric in ("ratio", "numerator", "denominator")
    ]
    rules.append({
        "record": "orderpulse:kpi_error_budget:ratio",
        "expr": f'(1 - max by (kpi) (orderpulse_kpi_target_ratio{{kpi=~"{SLO_KPIS}"}})) > 0',
    })
    rules += [{"record": f"orderpulse:kpi_error_ratio:{window}", "expr": error_ratio_expr(window)}
              for window in ERROR_WINDOWS]
    rules += [
        {"record": f"orderpulse:kpi_burn_rate:{window}",
         "expr": f"orderpulse:kpi_error_ratio:{window} / on (kpi) orderpulse:kpi_error_budget:ratio"}
        for window in ERROR_WINDOWS
    ]
    rules.append({"record": "orderpulse:kpi_error_budget_remaining:ratio", "expr": "1 - orderpulse:kpi_burn_rate:30d"})
    return rules


def burn_alert(tier: Tier) -> dict:
    return {
        "alert": tier.alert,
        "expr": f"orderpulse:kpi_burn_rate:{tier.long} > {tier.factor}\n"
        f"and on (kpi)\norderpulse:kpi_burn_rate:{tier.short} > {tier.factor}\n"
        f"and on (kpi)\n{_slo('denominator', tier.long)} >= {SLO_MIN_EVENTS}\n",
        "for": tier.for_,
        "labels": {"severity": tier.severity, "action": tier.action, "slo_window": f"{tier.long}/{tier.short}"},
        "annotations": {
            "summary": f"KPI {{{{ $labels.kpi }}}} is burning its error budget at {tier.factor}x or faster",
            "description": f"Over the last {tier.long} and the last {tier.short} (event time), {{{{ $labels.kpi }}}} "
            f"missed its target often enough to spend {tier.spends} "
            f"(burn rate over {tier.long}: {{{{ $value | printf \"%.1f\" }}}}x).",
            "runbook_url": runbook_url(tier.alert),
        },
    }


def off_target_alert() -> dict:
    lower = "|".join(LOWER_IS_BETTER)
    day = 'orderpulse:kpi_ratio:max{{window="24h", kpi{op}"{kpis}"}}'
    return {
        "alert": "OrderPulseKpiOffTarget",
        "expr": "label_replace(\n"
        f"  {day.format(op='!~', kpis=lower)}\n  < on (kpi) group_left () orderpulse:kpi_target:max,\n"
        '  "better", "higher", "", "")\n'
        "or\n"
        "label_replace(\n"
        f"  {day.format(op='=~', kpis=lower)}\n  > on (kpi) group_left () orderpulse:kpi_target:max,\n"
        '  "better", "lower", "", "")\n',
        "for": "30m",
        "labels": {"severity": "info"},
        "annotations": {
            "summary": "KPI {{ $labels.kpi }} is on the wrong side of its target over the last 24h",
            "description": "The event-time 24h figure of {{ $labels.kpi }} ({{ $value }}) is worse than its target "
            "({{ $labels.better }} is better); the Grafana executive dashboard shows which group drags it.",
            "runbook_url": runbook_url("OrderPulseKpiOffTarget"),
        },
    }


def absent_alerts() -> list[dict]:
    per_window = [f'absent(orderpulse_kpi_denominator{{window="{window}"}})' for window in GAUGE_WINDOWS]
    per_kpi = [f'absent(orderpulse_kpi_denominator{{kpi="{kpi}", window="30d"}})' for kpi in ALL_KPIS]
    return [
        {
            "alert": "OrderPulseKpiSeriesAbsent",
            "expr": "\nor ".join(per_window + per_kpi) + "\n",
            "for": "10m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "kpi-svc publishes no figures for {{ with $labels.kpi }}KPI {{ . }}{{ else }}"
                "window {{ $labels.window }}{{ end }}",
                "description": "The gauge orderpulse_kpi_denominator has had no series for this KPI or window for "
                "10 minutes: kpi-svc is not scraped, or it stopped exporting it, so the burn-rate alerts "
                "that read it cannot fire.",
                "runbook_url": runbook_url("OrderPulseKpiSeriesAbsent"),
            },
        },
        {
            "alert": "OrderPulseKpiTargetsAbsent",
            "expr": "absent(orderpulse_kpi_target_ratio)\nand on ()\ncount(orderpulse_kpi_denominator) > 0\n",
            "for": "10m",
            "labels": {"severity": "warning"},
            "annotations": {
                "summary": "kpi-svc publishes KPI figures but no targets",
                "description": "orderpulse_kpi_target_ratio is missing while the KPI gauges are present: no KPI "
                "has an error budget, so no burn-rate alert can fire. Check kpi-svc's ORDERPULSE_TARGETS.",
                "runbook_url": runbook_url("OrderPulseKpiTargetsAbsent"),
            },
        },
    ]


def render_rules() -> str:
    document = {
        "groups": [
            {"name": "orderpulse-kpi-figures", "rules": figure_rules()},
            {"name": "orderpulse-kpi-error-budgets", "rules": budget_rules()},
            {"name": "orderpulse-kpi-slo-alerts",
             "rules": [burn_alert(tier) for tier in TIERS] + [off_target_alert(), *absent_alerts()]},
        ]
    }
    header = (
        "# Generated by deploy/prometheus/generate_slo_rules.py; edit the generator, not this file.\n"
        "# KPI error budgets and multi-window multi-burn-rate alerts (SRE workbook), on kpi-svc's\n"
        "# event-time window gauges; see the generator's docstring for the method.\n"
    )
    return header + yaml.dump(document, Dumper=_LiteralDumper, sort_keys=False, width=120)


def render() -> dict[Path, str]:
    return {OUTPUT: render_rules()}


if __name__ == "__main__":
    sys.exit(main(render, __doc__))
