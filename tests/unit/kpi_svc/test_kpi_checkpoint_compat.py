"""Checkpoints written before the order payload changed (version 1: contributions as pairs) still
restore: same figures, same explanations, and later events revise them as in an engine that
never stopped. data/checkpoint_v1.json was written by kpi-svc at 6eda462 (see its
`written_by`): its checkpoint rows, the events that made them and what that engine reported."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import orjson
from kpi_events import OrderStory
from kpi_svc.domain import KpiEngine, KpiRules
from kpi_svc.domain.codec import ORDER_FIELDS, ORDER_FORMAT

V1 = json.loads((Path(__file__).parent / "data" / "checkpoint_v1.json").read_text())
NOW = datetime.fromisoformat(V1["now"])
FORMAT_AT = ORDER_FIELDS.index("format")


def restored_v1() -> KpiEngine:
    stored = V1["checkpoint"]
    return KpiEngine.restore(KpiRules(), stored["orders"], stored["buckets"], stored["meta"])


def replayed() -> KpiEngine:
    engine = KpiEngine()
    for item in V1["events"]:
        engine.apply(item)
    engine.advance(NOW)
    return engine


def test_the_fixture_holds_order_payloads_of_version_1():
    orders = [row for row in V1["checkpoint"]["orders"].values() if isinstance(row, list)]
    assert orders and {row[FORMAT_AT] for row in orders} == {1}


def test_a_version_1_checkpoint_restores_to_the_figures_it_was_written_with():
    engine = restored_v1()
    for window, report in V1["reports"].items():
        assert engine.report(window) == report
    for window, report in V1["reports_by_carrier"].items():
        assert engine.report(window, by="carrier") == report
    assert engine.failures("7d") == V1["failures_7d"]
    assert orjson.loads(orjson.dumps(engine.scorecard("o1"))) == V1["scorecard_o1"]


def test_later_events_revise_a_restored_version_1_checkpoint_like_an_engine_that_never_stopped():
    restored, live = restored_v1(), replayed()
    claim = OrderStory("o0").issue_opened(NOW + timedelta(hours=1), category="damaged")
    late = OrderStory("o9").packed(NOW + timedelta(hours=2))
    for engine in (restored, live):
        engine.apply(claim)
        engine.apply(late)
        engine.advance(NOW + timedelta(days=1))
    for window in ("24h", "7d", "30d"):
        assert restored.report(window) == live.report(window)
    assert restored.scorecard("o0") == live.scorecard("o0")


def test_a_restored_version_1_order_is_written_back_in_the_current_version_and_reads_the_same():
    engine = restored_v1()
    for key in engine.order_ids():
        engine._changed.add(key)
    delta = engine.dirty_snapshot(serialize=orjson.dumps)
    rows = {key: orjson.loads(value) for key, value in delta.orders.items()}
    assert {row[FORMAT_AT] for row in rows.values() if isinstance(row, list)} == {ORDER_FORMAT}
    again = KpiEngine.restore(KpiRules(), rows, V1["checkpoint"]["buckets"], V1["checkpoint"]["meta"])
    for window, report in V1["reports"].items():
        assert again.report(window) == report
    assert again.scorecard("o1") == engine.scorecard("o1")
