"""Rolling windows on event time, groups and their labels, report shapes, several partitions."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from kpi_events import MONDAY, OrderStory, engine_after, event
from kpi_svc.domain import KpiEngine, KpiRules, merge_failures, merge_reports

UTC = UTC
NOW = datetime(2026, 11, 20, 10, 30, 20, tzinfo=UTC)
MS = timedelta(milliseconds=1)


def response(at: datetime, csat: int = 5, order_id: str = "ord_1", survey_id: str | None = None) -> dict:
    return event("feedback.received.v1", order_id, at,
                 {"order_id": order_id, "survey_id": survey_id or f"srv_{at.isoformat()}", "csat": csat})


def responses_counted(engine: KpiEngine, window: str, now: datetime = NOW) -> int:
    return engine.report(window, now)["kpis"]["csat"]["denominator"]


def test_one_hour_at_10_30_20_covers_09_31_00_up_to_the_end_of_the_current_minute():
    inside = [datetime(2026, 11, 20, 9, 31, tzinfo=UTC), datetime(2026, 11, 20, 10, 30, 59, 999000, tzinfo=UTC)]
    outside = [datetime(2026, 11, 20, 9, 31, tzinfo=UTC) - MS, datetime(2026, 11, 20, 10, 31, tzinfo=UTC)]
    for moment in inside:
        assert responses_counted(engine_after([response(moment)]), "1h") == 1, moment
    for moment in outside:
        assert responses_counted(engine_after([response(moment)]), "1h") == 0, moment


@pytest.mark.parametrize("window, length", [("24h", timedelta(hours=24)), ("7d", timedelta(days=7)),
                                            ("30d", timedelta(days=30))])
def test_long_windows_are_exact_to_the_minute_at_their_old_edge(window, length):
    oldest_minute = datetime(2026, 11, 20, 10, 31, tzinfo=UTC) - length
    assert responses_counted(engine_after([response(oldest_minute)], NOW), window) == 1
    assert responses_counted(engine_after([response(oldest_minute - MS)], NOW), window) == 0


def test_an_event_lands_in_the_window_of_its_event_time_not_of_its_arrival():
    engine = engine_after([response(NOW - timedelta(hours=3))], NOW)
    assert responses_counted(engine, "1h") == 0
    assert responses_counted(engine, "24h") == 1


def test_a_kpi_without_denominator_has_no_value_and_no_verdict_on_its_target():
    entry = KpiEngine().report("24h", NOW)["kpis"]["perfect_order"]
    assert entry == {"value": None, "numerator": 0, "denominator": 0, "target": 0.95, "meets_target": None}


def test_the_report_has_every_kpi_of_kpis_md_with_its_target():
    report = engine_after([response(NOW, 5), response(NOW, 3, survey_id="s2")]).report("24h", NOW)
    assert report["window"] == "24h" and report["as_of"] == "2026-11-20T10:30:20.000Z"
    assert len(report["kpis"]) == 17
    assert report["kpis"]["csat"] == {"value": 0.5, "numerator": 1, "denominator": 2, "target": 0.95,
                                      "meets_target": False}
    assert report["kpis"]["order_entry_accuracy"]["target"] == 0.98


def test_targets_are_settings():
    rules = KpiRules(targets={"csat": 0.5, "cost_per_order": 10.0})
    engine = engine_after([response(NOW, 5), response(NOW, 3, survey_id="s2")], rules=rules)
    assert engine.report("24h", NOW)["kpis"]["csat"]["meets_target"] is True


def test_unknown_windows_and_groups_are_refused():
    with pytest.raises(ValueError):
        KpiEngine().report("2h", NOW)
    with pytest.raises(ValueError):
        KpiEngine().report("24h", NOW, by="customer_id")


def placed(order_id: str, at: datetime, **labels) -> list[dict]:
    story = OrderStory(order_id, at)
    carrier = labels.pop("carrier", None)
    warehouse = labels.pop("warehouse", "wh_1")
    story.placed(**labels)
    if carrier is not None:
        story.dispatched(at + timedelta(minutes=1), carrier=carrier, warehouse=warehouse)
    return story.events


def test_groups_use_the_order_labels_and_values_outside_the_enums_become_other():
    events = (placed("o1", NOW, channel="web", tier="vip", carrier="dhl")
              + placed("o2", NOW, channel="fax", tier="gold", service_level="by_pigeon", carrier="ups")
              + placed("o3", NOW, channel="mobile"))
    engine = engine_after(events)
    entry = "order_entry_accuracy"
    channels = engine.report("24h", NOW, by="channel")["groups"]
    assert {group: part["kpis"][entry]["denominator"] for group, part in channels.items()} == {
        "mobile": 1, "other": 1, "web": 1}
    tiers = engine.report("24h", NOW, by="tier")["groups"]
    assert {group: part["kpis"][entry]["denominator"] for group, part in tiers.items()} == {"other": 1, "standard": 1, "vip": 1}
    carriers = engine.report("24h", NOW, by="carrier")["groups"]
    assert {group: part["kpis"][entry]["denominator"] for group, part in carriers.items()} == {
        "dhl": 1, "other": 1, "ups": 1}
    service = engine.report("24h", NOW, by="service_level")["groups"]
    assert set(service) == {"other", "standard"}


def test_carrier_and_warehouse_values_are_capped_so_labels_stay_low_cardinality():
    events = [e for n in range(5) for e in placed(f"o{n}", NOW, carrier=f"carrier_{n}", warehouse=f"wh_{n}")]
    engine = engine_after(events, rules=KpiRules(label_value_cap=3))
    carriers = engine.report("24h", NOW, by="carrier")["groups"]
    assert set(carriers) == {"carrier_0", "carrier_1", "carrier_2", "other"}
    assert carriers["other"]["kpis"]["order_entry_accuracy"]["denominator"] == 2
    assert len(engine.report("24h", NOW, by="warehouse")["groups"]) == 4


def test_an_order_moves_to_its_carrier_group_once_it_is_dispatched():
    events = placed("o1", NOW - timedelta(minutes=5))
    engine = engine_after(events)
    assert set(engine.report("24h", NOW, by="carrier")["groups"]) == {"other"}
    story = OrderStory("o1", NOW)
    engine.apply(story.dispatched(NOW, carrier="dhl"))
    assert set(engine.report("24h", NOW, by="carrier")["groups"]) == {"dhl"}
    assert engine.report("24h", NOW)["kpis"]["order_entry_accuracy"]["denominator"] == 1


def test_group_figures_are_exact_to_the_minute_up_to_24h():
    just_in = datetime(2026, 11, 19, 10, 31, tzinfo=UTC)
    engine = engine_after(placed("in", just_in) + placed("out", just_in - MS), NOW)
    groups = engine.report("24h", NOW, by="tier")["groups"]
    assert groups["standard"]["kpis"]["order_entry_accuracy"]["denominator"] == 1


def test_group_figures_of_long_windows_are_exact_to_the_hour_at_their_old_edge():
    old_partial_hour = NOW - timedelta(days=7) + timedelta(minutes=10)
    middle = NOW - timedelta(days=3)
    engine = engine_after(placed("edge", old_partial_hour) + placed("middle", middle), NOW)
    assert engine.report("7d", NOW)["kpis"]["order_entry_accuracy"]["denominator"] == 2
    groups = engine.report("7d", NOW, by="tier")["groups"]
    assert groups["standard"]["kpis"]["order_entry_accuracy"]["denominator"] == 1


def test_group_cells_folded_into_hours_as_they_age_keep_the_long_window_figures():
    orders = [e for n in range(6) for e in placed(f"o{n}", NOW - timedelta(hours=n * 7, minutes=n))]
    answers = [response(NOW - timedelta(hours=n * 7, minutes=n), n % 5 + 1, order_id=f"o{n}") for n in range(6)]
    engine = engine_after(orders + answers, NOW)
    later = NOW + timedelta(days=1)
    before = engine.report("7d", later, by="tier")["groups"]["standard"]["kpis"]
    engine.advance(later)  # the group cells older than 25 h fold into hourly cells
    after = engine.report("7d", later, by="tier")["groups"]["standard"]["kpis"]
    assert any(key.startswith("tier=") for bucket in engine.buckets.coarse.values() for key in bucket)
    for kpi in ("csat", "order_entry_accuracy"):
        assert after[kpi] == before[kpi] and after[kpi]["denominator"] == 6


def test_buckets_older_than_the_longest_window_are_dropped():
    engine = engine_after([response(NOW - timedelta(days=29))], NOW)
    engine.dirty_snapshot()
    engine.advance(NOW + timedelta(days=2))
    delta = engine.dirty_snapshot()
    assert delta.removed_buckets and all(name[0] in "fc" for name in delta.removed_buckets)
    assert responses_counted(engine, "30d", NOW + timedelta(days=2)) == 0
    assert not engine.buckets.fine and not engine.buckets.coarse and not engine.buckets.aged


def test_events_older_than_the_longest_window_do_not_recreate_dropped_buckets():
    engine = engine_after([], NOW)
    engine.apply(response(NOW - timedelta(days=31)))
    engine.flush()
    assert not engine.buckets.fine and not engine.buckets.aged


def split_by_partition(events: list[dict], partitions: int) -> list[list[dict]]:
    parts: list[list[dict]] = [[] for _ in range(partitions)]
    for item in events:
        parts[int(item["partitionkey"][1:]) % partitions].append(item)
    return parts


def many_orders() -> list[dict]:
    events = []
    for n in range(12):
        story = OrderStory(f"o{n}", MONDAY + timedelta(hours=n))
        story.happy_path(delivered_at=MONDAY + timedelta(days=2 + n % 4))
        if n % 3 == 0:
            story.feedback(MONDAY + timedelta(days=4), n % 5 + 1)
        events += story.events
    return events


def test_figures_over_several_partitions_equal_the_figures_of_one_engine_with_everything():
    now = MONDAY + timedelta(days=6)
    whole = engine_after(many_orders(), now)
    parts = [engine_after(part, now) for part in split_by_partition(many_orders(), 3)]
    for window in ("24h", "7d", "30d"):
        assert merge_reports(parts, window, now) == whole.report(window, now)
        assert merge_reports(parts, window, now, by="carrier") == whole.report(window, now, by="carrier")
    assert merge_failures(parts, "7d", now) == whole.failures("7d", now)


def test_other_replicas_partitions_are_read_from_their_checkpointed_bucket_rows():
    now = MONDAY + timedelta(days=6)
    whole = engine_after(many_orders(), now)
    mine, theirs = (engine_after(part, now) for part in split_by_partition(many_orders(), 2))
    rows = json.loads(json.dumps(theirs.dirty_snapshot().buckets))  # as stored and read back
    assert merge_reports([mine, rows], "7d", now, by="tier") == whole.report("7d", now, by="tier")
    assert merge_reports([mine, rows], "24h", now) == whole.report("24h", now)
