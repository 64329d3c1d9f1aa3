"""kpi-svc's KPI gauges are computed at scrape time; scrapes within `gauge_max_age_s` of a
computation reuse it, later scrapes compute them again (a fixed 1 s cache added up to a second
to every figure's freshness: bench/kpi_freshness_bench.py). The collector describes its families,
so a scrape may name the ones it wants (`/metrics?name[]=`)."""

from kpi_svc.entrypoints.metrics import KpiGaugeCollector, gauge_families
from kpi_svc.settings import KpiSettings
from prometheus_client import CollectorRegistry, generate_latest


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


def test_a_scrape_naming_a_kpi_gauge_gets_that_gauge_alone():
    registry = CollectorRegistry()
    collector = KpiGaugeCollector(Clock())
    registry.register(collector)
    report = {"kpis": {"csat": {"value": 0.5, "numerator": 1, "denominator": 2}}}
    collector.attach(lambda: gauge_families({"1h": report}, {"csat": 0.95}, 0.2, 7))
    named = generate_latest(registry.restricted_registry(["orderpulse_kpi_denominator"])).decode()
    samples = [line for line in named.splitlines() if not line.startswith("#")]
    assert samples == ['orderpulse_kpi_denominator{kpi="csat",window="1h"} 2.0']
    whole = generate_latest(registry).decode()
    assert 'orderpulse_kpi_ratio{kpi="csat",window="1h"} 0.5' in whole and "orderpulse_kpi_open_orders 7.0" in whole
