"""Figures over several partitions: kpi-svc keeps state per Kafka partition, and GET /v1/kpis
and the gauges are computed over the buckets of all of them (other replicas' as of their last
checkpoint)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .buckets import BucketStore
from .engine import KpiEngine
from .reporting import build_failures, build_report
from .rules import KpiRules
from .values import datetime_to_ms


def merge_reports(
    sources: list, window: str, now: datetime | int, by: str | None = None, rules: KpiRules | None = None
) -> dict:
    """GET /v1/kpis over several partitions: engines (flushed here), BucketStores, or checkpoint
    bucket rows ({"f<index>": {key: cell}}, as written by dirty_snapshot) of other replicas."""
    stores, rules = _stores(sources, rules, datetime_to_ms(now))
    return build_report(stores, rules, window, datetime_to_ms(now), by)


def merge_failures(sources: list, window: str, now: datetime | int, rules: KpiRules | None = None) -> dict:
    stores, rules = _stores(sources, rules, datetime_to_ms(now))
    return build_failures(stores, rules, window, datetime_to_ms(now))


def _stores(sources: list, rules: KpiRules | None, now_ms: int) -> tuple[list[BucketStore], KpiRules]:
    engines = [source for source in sources if isinstance(source, KpiEngine)]
    rules = rules or (engines[0].rules if engines else KpiRules())
    stores = []
    for source in sources:
        if isinstance(source, KpiEngine):
            source.flush()
            stores.append(source.buckets)
        elif isinstance(source, BucketStore):
            stores.append(source)
        elif isinstance(source, Mapping):
            store = BucketStore(rules.bucket_s, rules.coarse_bucket_s, rules.longest_window_s, rules.group_retention_s)
            store.load(source)
            store.advance(now_ms)
            stores.append(store)
        else:
            raise TypeError(f"cannot report over {type(source).__name__}")
    return stores, rules
