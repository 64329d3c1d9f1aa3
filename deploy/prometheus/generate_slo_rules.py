"""Write deploy/prometheus/rules/kpi-slo.rules.yml: KPI targets, error ratios and burn-rate alerts.

Multi-window, multi-burn-rate alerts as in the Google SRE workbook (chapter "Alerting on SLOs"),
over a 30-day error budget of (1 - target):

  fast  burn >= 14.4x over 1h and over 5m   (2% of the budget in an hour)   severity critical
  slow  burn >=  6x   over 6h and over 30m  (5% of the budget in six hours) severity critical

Targets come from kpi-svc's orderpulse_kpi_target_ratio gauge (its settings), falling back to the
defaults of kpis.md when kpi-svc does not publish one.

Error ratios per window:
  * KPIs with counters (perfect order, its four components, CSAT): exact, from rate() over the
    window: bad / total.
  * KPIs with only the event-time gauges (kpis.md publishes windows 1h, 24h, 7d, 30d): the 1h
    gauge stands in for the 5m, 30m and 1h windows, and the 6h window is the volume-weighted
    sum of the 1h numerators over 6h divided by that of the 1h denominators (each event counted
    once per sample it was in the 1h window: flat weight over the middle 5h, tapering at the
    ends). So for these KPIs the fast alert resets an hour after a fix, not five minutes.

Run with --check to verify the checked-in file is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog import KPIS  # noqa: E402
from generated import DEPLOY_DIR, main  # noqa: E402

OUTPUT = DEPLOY_DIR / "prometheus" / "rules" / "kpi-slo.rules.yml"
SHORT_AND_LONG_WINDOWS = ("5m", "30m", "1h", "6h")
BURN_ALERTS = (
    # name, burn factor, long window, short window, budget share, `for`
    ("OrderPulseKpiErrorBudgetFastBurn", 14.4, "1h", "5m", "2% of the 30-day error budget in one hour", "2m"),
    ("OrderPulseKpiErrorBudgetSlowBurn", 6, "6h", "30m", "5% of the 30-day error budget in six hours", "5m"),
)


class _LiteralDumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str_representer)


def _kpi_regex(source: str) -> str:
    return "|".join(kpi.name for kpi in KPIS if kpi.source == source)


def target_rules() -> list[dict]:
    rules: list[dict] = [
        {
            "record": "orderpulse:kpi_default_target:ratio",
            "expr": f"vector({kpi.target})",
            "labels": {"kpi": kpi.name},
        }
        for kpi in KPIS
    ]
    rules += [
        {
            "record": "orderpulse:kpi_target:ratio",
            "expr": "max by (kpi) (orderpulse_kpi_target_ratio)\n"
            "or on (kpi)\n"
            "orderpulse:kpi_default_target:ratio\n",
        },
        {"record": "orderpulse:kpi_ratio:max", "expr": "max by (kpi, window) (orderpulse_kpi_ratio)"},
        {"record": "orderpulse:kpi_numerator:max", "expr": "max by (kpi, window) (orderpulse_kpi_numerator)"},
        {"record": "orderpulse:kpi_denominator:max", "expr": "max by (kpi, window) (orderpulse_kpi_denominator)"},
    ]
    return rules


def counter_error_rules() -> list[dict]:
    rules = []
    for kpi in KPIS:
        if kpi.source != "counters":
            continue
        for window in SHORT_AND_LONG_WINDOWS:
            bad = kpi.bad_rate.format(w=window)
            total = kpi.total_rate.format(w=window)
            rules.append(
                {
                    "record": f"orderpulse:kpi_error_ratio:{window}",
                    "expr": f"{bad}\n/\n{total}\n",
                    "labels": {"kpi": kpi.name},
                }
            )
    return rules


def gauge_error_rules() -> list[dict]:
    kpis = _kpi_regex("gauges")
    one_hour = f'1 - max by (kpi) (orderpulse_kpi_ratio{{window="1h", kpi=~"{kpis}"}})'
    rules = [
        {"record": f"orderpulse:kpi_error_ratio:{window}", "expr": one_hour}
        for window in ("5m", "30m", "1h")
    ]
    rules.append(
        {
            "record": "orderpulse:kpi_error_ratio:6h",
            "expr": "1 - (\n"
            f'  sum_over_time((max by (kpi) (orderpulse_kpi_numerator{{window="1h", kpi=~"{kpis}"}}))[6h:1m])\n'
            "  /\n"
            f'  sum_over_time((max by (kpi) (orderpulse_kpi_denominator{{window="1h", kpi=~"{kpis}"}}))[6h:1m])\n'
            ")\n",
        }
    )
    return rules


def burn_alerts() -> list[dict]:
    alerts = []
    for name, factor, long_window, short_window, share, for_ in BURN_ALERTS:
        threshold = f"({factor} * (1 - orderpulse:kpi_target:ratio))"
        alerts.append(
            {
                "alert": name,
                "expr": f"(orderpulse:kpi_error_ratio:{long_window} > on (kpi) {threshold})\n"
                "and on (kpi)\n"
                f"(orderpulse:kpi_error_ratio:{short_window} > on (kpi) {threshold})\n",
                "for": for_,
                "labels": {"severity": "critical", "slo_window": f"{long_window}/{short_window}"},
                "annotations": {
                    "summary": f"KPI {{{{ $labels.kpi }}}} is burning its error budget at {factor}x or faster",
                    "description": f"Over the last {long_window} and the last {short_window}, {{{{ $labels.kpi }}}} "
                    f"missed its target often enough to spend {share}.",
                    "runbook": f"deploy/RUNBOOK.md#{name.lower()}",
                },
            }
        )
    alerts.append(
        {
            "alert": "OrderPulseKpiBelowTarget",
            "expr": 'orderpulse:kpi_ratio:max{window="24h"}\n< on (kpi) group_left ()\norderpulse:kpi_target:ratio\n',
            "for": "30m",
            "labels": {"severity": "info"},
            "annotations": {
                "summary": "KPI {{ $labels.kpi }} is below its target over the last 24h",
                "description": "The event-time 24h figure of {{ $labels.kpi }} is under its target; "
                "the Grafana executive dashboard shows which group drags it down.",
                "runbook": "deploy/RUNBOOK.md#orderpulsekpibelowtarget",
            },
        }
    )
    return alerts


def render_rules() -> str:
    document = {
        "groups": [
            {"name": "orderpulse-kpi-targets", "rules": target_rules()},
            {"name": "orderpulse-kpi-error-ratios", "rules": counter_error_rules() + gauge_error_rules()},
            {"name": "orderpulse-kpi-slo-alerts", "rules": burn_alerts()},
        ]
    }
    header = (
        "# Generated by deploy/prometheus/generate_slo_rules.py; edit the generator, not this file.\n"
        "# KPI targets, error ratios per window and multi-window multi-burn-rate alerts (SRE workbook).\n"
    )
    return header + yaml.dump(document, Dumper=_LiteralDumper, sort_keys=False, width=120)


def render() -> dict[Path, str]:
    return {OUTPUT: render_rules()}


if __name__ == "__main__":
    sys.exit(main(render, __doc__))
