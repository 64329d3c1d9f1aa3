"""A KPI agrees only when numerator and denominator are equal in every window compared; windows
kpi-svc already had figures in before the run are not compared (they cannot be subtracted)."""

from __future__ import annotations

from orderpulse.simulator.comparison import comparable_windows
from orderpulse.simulator.measures import Measure
from orderpulse.simulator.report import Row, kpi_table


def test_a_kpi_that_differs_in_one_window_does_not_agree_and_the_table_says_where():
    same, other = Measure(3, 4), Measure(2, 4)
    row = Row("csat", same, same, (("1h", same, same), ("24h", same, other)))
    assert row.agrees is False
    assert Row("csat", same, same, (("1h", same, same),)).agrees is True
    table = "\n".join(kpi_table([row]))
    assert "DIFFER" in table and "in 24h: 3 / 4 = 0.7500 vs 2 / 4 = 0.5000" in table


def test_only_windows_kpi_svc_had_nothing_in_before_the_run_are_compared():
    baseline = {"1h": {"kpis": {"csat": {"numerator": 0, "denominator": 0}}},
                "24h": {"kpis": {"csat": {"numerator": 1, "denominator": 2}}}}
    assert comparable_windows(baseline, "30d", ("1h", "24h", "7d", "30d")) == ("1h", "7d")
    assert comparable_windows(None, "30d", ("1h", "24h", "7d", "30d")) == ("1h", "24h", "7d")
