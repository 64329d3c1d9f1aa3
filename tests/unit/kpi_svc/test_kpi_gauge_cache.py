"""kpi-svc's KPI gauges are computed at scrape time; scrapes within `gauge_max_age_s` of a
computation reuse it, later scrapes compute them again (a fixed 1 s cache added up to a second
to every figure's freshness: bench/kpi_freshness_bench.py)."""

from kpi_svc.entrypoints.metrics import KpiGaugeCollector
from kpi_svc.settings import KpiSettings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def counting_source():
    calls = []

    def source() -> list:
        calls.append(len(calls) + 1)
        return [f"families #{len(calls)}"]

    return source, calls


def test_scrapes_within_the_max_age_reuse_the_figures_and_later_ones_compute_them_again():
    clock = Clock()
    collector = KpiGaugeCollector(clock)
    source, calls = counting_source()
    collector.attach(source, max_age_s=0.25)
    assert collector.collect() == ["families #1"]
    clock.now += 0.125
    assert collector.collect() == ["families #1"]
    clock.now += 0.125
    assert collector.collect() == ["families #2"]
    assert calls == [1, 2]


def test_a_max_age_of_zero_computes_the_figures_at_every_scrape():
    collector = KpiGaugeCollector(Clock())
    source, calls = counting_source()
    collector.attach(source, max_age_s=0.0)
    assert [collector.collect(), collector.collect()] == [["families #1"], ["families #2"]]


def test_attaching_another_source_drops_the_cached_figures():
    collector = KpiGaugeCollector(Clock())
    first, _ = counting_source()
    collector.attach(first, max_age_s=60)
    collector.collect()
    second, calls = counting_source()
    collector.attach(second, max_age_s=60)
    assert collector.collect() == ["families #1"] and calls == [1]
    collector.attach(None)
    assert collector.collect() == []


def test_the_gauges_are_reused_for_a_quarter_of_a_second_by_default():
    assert KpiSettings().gauge_max_age_s == 0.25
