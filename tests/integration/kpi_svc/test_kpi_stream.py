"""kpi-svc consumes the five topics into per-partition engines, checkpoints them with the offsets
in PostgreSQL, and answers GET /v1/kpis with the figures an offline recomputation gives."""

from __future__ import annotations

import gc

import orjson
from aiokafka import AIOKafkaConsumer
from kpi_stories import all_events, expected_engine, scalar, stories
from kpi_svc.bootstrap import build_app
from kpi_svc.entrypoints import full_collections
from orderpulse.events.topics import FULFILLMENT, ORDERS, dlq_topic
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth, running_app

WINDOWS = ("7d", "30d")


def figures(report: dict) -> dict:
    return {name: (kpi["numerator"], kpi["denominator"]) for name, kpi in report["kpis"].items()}


async def reports(client) -> dict:
    found = {}
    for window in WINDOWS:
        response = await client.get("/v1/kpis", params={"window": window}, headers=auth("support"))
        assert response.status_code == 200, response.text
        found[window] = figures(response.json())
    return found


def expected(settings, events) -> dict:
    engine = expected_engine(settings, events)
    return {window: figures(engine.report(window)) for window in WINDOWS}


async def until_figures(client, wanted: dict) -> dict:
    async def same():
        got = await reports(client)
        return got if got == wanted else None

    return await eventually(same)


async def stored_offsets(settings) -> int:
    return await scalar(settings, "SELECT coalesce(sum(next_offset), 0) FROM kpi_offsets")


async def test_figures_equal_an_offline_recomputation_of_the_same_events(settings, publish):
    told = stories("a")
    events = all_events(told)
    await publish(events)
    wanted = expected(settings, events)
    assert wanted["30d"]["perfect_order"] == (18, 24)  # by hand: 6 of 24 delivered orders fail a component
    assert wanted["30d"]["shipped_within_sla"] == (24, 25)  # the stuck order misses; the cancelled one is out
    assert wanted["30d"]["order_entry_accuracy"] == (25, 26)  # the held + corrected order
    async with running_app(build_app(settings)) as client:
        await until_figures(client, wanted)
        failures = await client.get("/v1/kpis/perfect-order/failures", params={"window": "30d"}, headers=auth("admin"))
        assert failures.json()["failed"] == 6
        card = await client.get("/v1/orders/ord-a-late/scorecard", headers=auth("support"))
        assert card.status_code == 200
        assert card.json()["components"]["on_time"]["holds"] is False
        unknown = await client.get("/v1/orders/ord-nobody/scorecard", headers=auth("support"))
        assert unknown.status_code == 404
        by_carrier = await client.get("/v1/kpis", params={"window": "30d", "by": "carrier"}, headers=auth("support"))
        assert {"dhl", "other"} == set(by_carrier.json()["groups"])
        # a carrier reads its own group alone, and nothing else
        own = await client.get("/v1/kpis", params={"window": "30d", "by": "carrier"}, headers=auth("carrier:dhl"))
        assert own.status_code == 200 and list(own.json()["groups"]) == ["dhl"]
        assert own.json()["groups"]["dhl"] == by_carrier.json()["groups"]["dhl"]
        for path, params in (("/v1/kpis", {"window": "30d"}), ("/v1/kpis", {"by": "warehouse"}),
                             ("/v1/kpis/perfect-order/failures", {}), ("/v1/orders/ord-a-late/scorecard", {})):
            assert (await client.get(path, params=params, headers=auth("carrier:dhl"))).status_code == 403, path
        for role in ("account_manager", "admin"):
            assert (await client.get("/v1/kpis/perfect-order/failures", headers=auth(role))).status_code == 200
        for role in ("storefront", "warehouse", "payments"):
            assert (await client.get("/v1/kpis", headers=auth(role))).status_code == 403, role


async def test_bad_window_or_group_is_a_problem_naming_the_parameter(settings):
    async with running_app(build_app(settings)) as client:
        bad_window = await client.get("/v1/kpis", params={"window": "2w"}, headers=auth("support"))
        bad_group = await client.get("/v1/kpis", params={"window": "24h", "by": "customer"}, headers=auth("support"))
        anonymous = await client.get("/v1/kpis")
    assert (bad_window.status_code, bad_window.json()["field"]) == (422, "window")
    assert (bad_group.status_code, bad_group.json()["field"]) == (422, "by")
    assert anonymous.status_code == 401


async def test_every_event_published_twice_gives_the_same_figures(settings, publish):
    events = all_events(stories("b"))
    await publish(events)
    await publish(events)
    wanted = expected(settings, events)
    async with running_app(build_app(settings)) as client:
        await until_figures(client, wanted)


async def test_a_restart_mid_stream_resumes_from_the_checkpoint_with_the_same_figures(settings, publish):
    told = stories("c")
    names = list(told)
    first = [e for name in names[: len(names) // 2] for e in told[name]]
    second = [e for name in names[len(names) // 2 :] for e in told[name]]
    await publish(first)
    async with running_app(build_app(settings)) as client:
        await until_figures(client, expected(settings, first))
        await eventually(lambda: _offsets_reach(settings, len(first)))
    await publish(second)
    restarted = build_app(settings)
    async with running_app(restarted) as client:
        await until_figures(client, expected(settings, first + second))
        assert restarted.state.stream.applied == len(second)  # resumed at the stored offsets, not from zero


async def test_full_gc_passes_wait_while_a_backlog_is_read_and_come_back_once_caught_up(settings, publish, monkeypatch):
    before = gc.get_threshold()
    deferring = []
    defer = full_collections.defer
    monkeypatch.setattr(full_collections, "defer", lambda holder: (deferring.append(holder), defer(holder)))
    events = all_events(stories("gc"))  # days old: the stream starts behind, then catches up
    await publish(events)
    app = build_app(settings)
    async with running_app(app) as client:
        await until_figures(client, expected(settings, events))
        assert app.state.stream in deferring

        async def thresholds_back() -> bool:
            return gc.get_threshold() == before and not full_collections.deferred()

        await eventually(thresholds_back)
    assert gc.get_threshold() == before


async def _offsets_reach(settings, count: int) -> bool:
    return await stored_offsets(settings) >= count


async def test_poison_records_go_to_the_dead_letter_queue_and_the_stream_goes_on(settings, publish):
    bad_type = {"id": "x1", "type": "orderpulse.nothing.v1", "time": "2026-11-20T10:00:00Z", "data": {}, "partitionkey": "k"}
    broken = {"id": "x2", "type": "orderpulse.order.placed.v1", "time": "not a time", "data": {"order_id": "ord-d-broken"}}
    shift = {"id": "x3", "type": "orderpulse.labor.shift_recorded.v1", "time": "2026-11-20T18:00:00Z", "partitionkey": "wh_1",
             "data": {"warehouse_id": "wh_1", "shift_id": "s1", "start": "2026-11-20T10:00:00Z", "end": "2026-11-20T18:00:00Z",
                      "staff": 2, "hourly_cost": "²"}}
    crowded = {**shift, "id": "x4", "data": {**shift["data"], "hourly_cost": "20.00", "staff": 1e308}}
    poison = [(ORDERS, b"{not json"), (ORDERS, orjson.dumps(bad_type)), (FULFILLMENT, orjson.dumps(broken)), (ORDERS, b"[1, 2]"),
              (FULFILLMENT, orjson.dumps(shift)), (FULFILLMENT, orjson.dumps(crowded))]
    events = all_events(stories("d"))
    dlq = AIOKafkaConsumer(dlq_topic("kpi-svc"), bootstrap_servers=settings.kafka_bootstrap, group_id=None, auto_offset_reset="latest")
    await dlq.start()
    try:
        await dlq.getmany(timeout_ms=200)  # positions at the end before anything is published
        await publish(events[:10], raw=poison)
        await publish(events[10:])
        async with running_app(build_app(settings)) as client:
            await until_figures(client, expected(settings, events))
            seen: list = []

            async def all_poison_arrived():
                for records in (await dlq.getmany(timeout_ms=200)).values():
                    seen.extend(r for r in records if dict(r.headers).get("orderpulse_original_topic", b"").startswith(settings.topic_prefix.encode()))
                return len(seen) >= len(poison)

            await eventually(all_poison_arrived)
    finally:
        await dlq.stop()
    errors = sorted(dict(r.headers)["orderpulse_error"].decode() for r in seen)
    assert any("not JSON" in e for e in errors) and any("unknown event type" in e for e in errors)
    assert any("time" in e for e in errors) and any("JSON object" in e for e in errors)
    assert any("hourly_cost" in e for e in errors) and any("staff" in e for e in errors)


async def test_three_hundred_orders_land_in_exactly_the_windows_their_event_times_belong_to(settings, publish):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    told: dict[str, list[dict]] = {}
    for age_days in (5, 20, 45):  # inside 7d and 30d · inside 30d only · inside neither
        for copy in range(4):
            told.update(stories(f"w{age_days}x{copy}", base=now - timedelta(days=age_days)))
    assert len(told) >= 300
    events = all_events(told)
    await publish(events)
    wanted = expected(settings, events)
    one_set_perfect, one_set_entry = (18, 24), (25, 26)
    assert wanted["7d"]["perfect_order"] == tuple(4 * n for n in one_set_perfect)
    assert wanted["30d"]["perfect_order"] == tuple(8 * n for n in one_set_perfect)
    assert wanted["7d"]["order_entry_accuracy"] == tuple(4 * n for n in one_set_entry)
    assert wanted["30d"]["order_entry_accuracy"] == tuple(8 * n for n in one_set_entry)
    async with running_app(build_app(settings)) as client:
        await until_figures(client, wanted)
