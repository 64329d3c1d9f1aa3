"""Checkpoint layout 2 in the real PostgreSQL: the tombstone of an order settled by a checkpoint is
kept in its `kpi_settled` row, not as a `kpi_orders` row of its own, and a partition restored from
it (or from a layout-1 checkpoint, whose tombstones are `kpi_orders` rows) holds the same
tombstones, figures and settled facts as the engine that wrote it. Deltas taken as the store reads
them (the stream's PendingDeltas) are written, or not at all, in the same one transaction."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from kpi_stories import OrderStory, kpi_events
from kpi_svc.adapters.checkpoint_store import CheckpointStore, StoredOffset
from kpi_svc.domain import EVICTED, KpiEngine
from kpi_svc.domain.values import datetime_to_ms
from kpi_svc.entrypoints.pending_deltas import PendingDeltas
from orderpulse.db.direct import DirectConnections

MONDAY = kpi_events.MONDAY
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
SETTLED = MONDAY + 3 * DAY + 7 * DAY + HOUR  # delivered + claim window + eviction grace


@pytest.fixture
async def store(settings):
    connections = DirectConnections(settings.database_url, schema="kpi_svc", size=2)
    try:
        yield CheckpointStore(connections), connections
    finally:
        await connections.close()


def settled_engine(count: int = 3) -> tuple[KpiEngine, list[OrderStory]]:
    """Orders delivered on Thursday; the clock past their claim windows: settled (evicted), plus one still open."""
    told = []
    for n in range(count):
        story = OrderStory(f"ord_{n}", MONDAY)
        story.happy_path(MONDAY + 3 * DAY)
        told.append(story)
    still_open = OrderStory("ord_open", SETTLED - HOUR)
    still_open.placed()
    told.append(still_open)
    return kpi_events.engine_after([e for story in told for e in story.events], SETTLED), told


async def checkpoint(store: CheckpointStore, engine: KpiEngine, partition: int = 0) -> None:
    epoch, _ = await store.claim(partition)
    delta = engine.dirty_snapshot(serialize=orjson.dumps, deferred=True)  # as the stream takes it
    await store.save({partition: delta}, {("orders", partition): StoredOffset(1, None)}, {partition: epoch})


async def restored(store: CheckpointStore, engine: KpiEngine, partition: int = 0) -> KpiEngine:
    _, stored = await store.claim(partition)
    return KpiEngine.restore(engine.rules, stored.orders, stored.buckets, stored.meta)


def same_figures(one: KpiEngine, two: KpiEngine, now) -> None:
    for window in ("24h", "30d"):
        assert one.report(window, now) == two.report(window, now), window
        assert one.report(window, now, by="carrier") == two.report(window, now, by="carrier"), window


async def test_a_settled_order_is_one_row_with_its_tombstone_and_restores_the_same_engine(store):
    store, connections = store
    engine, told = settled_engine()
    assert {f"ord_{n}" for n in range(3)} <= set(engine.tombstones)
    await checkpoint(store, engine)
    rows = dict(await connections.fetch("SELECT order_id, payload FROM kpi_orders"))
    assert set(rows) == {"ord_open"}  # no tombstone rows
    kept = {k: u for k, u in await connections.fetch("SELECT order_id, tombstone_until_ms FROM kpi_settled")}
    assert kept == {f"ord_{n}": engine.tombstones[f"ord_{n}"] for n in range(3)}
    again = await restored(store, engine)
    assert dict(again.tombstones.items()) == dict(engine.tombstones.items())
    assert again.order_ids() == engine.order_ids() == ["ord_open"]
    same_figures(again, engine, SETTLED)
    replayed = told[0].events[0]  # an old event of a settled order: recognised, nothing new starts
    assert again.apply(replayed) is EVICTED and again.order_ids() == ["ord_open"]
    facts = await store.order("ord_0")  # a scorecard on any replica: the facts from kpi_settled
    assert isinstance(facts, list) and facts[2] == "ord_0" and (await store.settled(["ord_0"]))["ord_0"] == facts


async def test_an_order_with_a_row_from_an_earlier_checkpoint_loses_it_when_it_settles(store):
    store, connections = store
    story = OrderStory("ord_1", MONDAY)
    story.happy_path(MONDAY + 3 * DAY)
    engine = kpi_events.engine_after(story.events, MONDAY + 4 * DAY)
    await checkpoint(store, engine)  # open: a kpi_orders row
    assert await connections.fetchval("SELECT count(*) FROM kpi_orders") == 1
    engine.advance(SETTLED)
    await checkpoint(store, engine)
    assert await connections.fetchval("SELECT count(*) FROM kpi_orders") == 0
    again = await restored(store, engine)
    assert dict(again.tombstones.items()) == {"ord_1": engine.tombstones["ord_1"]}
    same_figures(again, engine, SETTLED)


async def test_a_revived_order_restores_open_and_an_expired_tombstone_not_at_all(store):
    store, connections = store
    engine, told = settled_engine(2)
    await checkpoint(store, engine)
    late = told[0].feedback(SETTLED + DAY, csat=2)  # revives ord_0 from its stored facts
    assert engine.apply(late) is EVICTED
    assert engine.revive("ord_0", (await store.settled(["ord_0"]))["ord_0"], {late["id"]})
    engine.apply(late)
    await checkpoint(store, engine)
    again = await restored(store, engine)
    assert "ord_0" in again.order_ids() and "ord_0" not in again.tombstones  # its row wins over the kept tombstone
    assert dict(again.tombstones.items()) == dict(engine.tombstones.items())
    same_figures(again, engine, SETTLED + DAY)
    # ord_1's tombstone expires (the longest window after its eviction): gone from the restore too
    later = MONDAY + 50 * DAY
    engine.advance(later)
    assert "ord_1" not in engine.tombstones
    await checkpoint(store, engine)  # left in its row (never written again), not restored
    assert await connections.fetchval("SELECT tombstone_until_ms FROM kpi_settled WHERE order_id = 'ord_1'") <= datetime_to_ms(later)
    again = await restored(store, engine)
    assert "ord_1" not in again.tombstones and "ord_0" in again.tombstones  # ord_0 settled again
    assert dict(again.tombstones.items()) == dict(engine.tombstones.items())
    same_figures(again, engine, later)
    # a settled row goes once its retention passed and its tombstone expired, not before
    assert await store.forget_settled(datetime_to_ms(later)) == 0  # retention: 90 days after delivery
    await connections.execute("UPDATE kpi_settled SET keep_until_ms = 0")
    assert await store.forget_settled(datetime_to_ms(later)) == 1  # ord_1; ord_0's tombstone still holds its row
    assert set(await store.settled(["ord_0", "ord_1"])) == {"ord_0"}
    assert await store.forget_settled(engine.tombstones["ord_0"]) == 2  # ord_0, and ord_open (left after 30 idle days)


async def test_a_layout_1_checkpoint_restores_its_tombstones_and_is_written_on_in_layout_2(store):
    """As the code before layout 2 left it: tombstones as kpi_orders rows, settled rows without one."""
    store, connections = store
    engine, _ = settled_engine()
    delta = engine.dirty_snapshot(serialize=orjson.dumps)  # encoded at once: tombstones among the orders
    epoch, _ = await store.claim(0)
    async with connections.acquire() as conn:
        await conn.executemany("INSERT INTO kpi_orders (partition, order_id, payload) VALUES (0, $1, $2)", list(delta.orders.items()))
        await conn.executemany(
            "INSERT INTO kpi_settled (order_id, partition, keep_until_ms, payload) VALUES ($1, 0, $2, $3)",
            [(k, until, payload) for k, (payload, until) in delta.settled.items()],
        )
        await conn.executemany("INSERT INTO kpi_buckets (partition, key, payload) VALUES (0, $1, $2)", list(delta.buckets.items()))
        await conn.execute("INSERT INTO kpi_meta (partition, payload) VALUES (0, $1)", orjson.dumps({**delta.meta, "format": 1}))
    assert await connections.fetchval("SELECT count(*) FROM kpi_orders") == 4  # three tombstones, one open order
    again = await restored(store, engine)
    assert dict(again.tombstones.items()) == dict(engine.tombstones.items())
    same_figures(again, engine, SETTLED)
    # the restored engine goes on: its next checkpoint (layout 2) restores the same again
    story = OrderStory("ord_new", SETTLED)
    story.happy_path(SETTLED + 3 * DAY)
    for event in story.events:
        again.apply(event)
        engine.apply(event)
    for one in (again, engine):
        one.advance(SETTLED + 12 * DAY)
    await checkpoint(store, again)
    third = await restored(store, engine)
    assert "ord_new" in third.tombstones
    assert dict(third.tombstones.items()) == dict(engine.tombstones.items())
    same_figures(third, engine, SETTLED + 12 * DAY)


def two_partitions() -> list[KpiEngine]:
    """Two engines with three delivered orders each; their clocks not yet past the claim windows."""
    engines = []
    for partition in (0, 1):
        told = []
        for n in range(3):
            story = OrderStory(f"ord_{partition}_{n}", MONDAY)
            story.happy_path(MONDAY + 3 * DAY)
            told.append(story)
        engines.append(kpi_events.engine_after([e for story in told for e in story.events], MONDAY + 4 * DAY))
    return engines


def pending(engines: list[KpiEngine], taken: list[int]) -> PendingDeltas:
    """As the stream hands them to the store: each engine advanced past the claim windows and
    drained when its delta is read."""
    def take(partition: int):
        taken.append(partition)
        engines[partition].advance(SETTLED)
        return engines[partition].dirty_snapshot(serialize=orjson.dumps, deferred=True)

    return PendingDeltas({p: (lambda p=p: take(p)) for p in range(len(engines))})


async def test_deltas_taken_as_the_store_reads_them_are_written_in_one_transaction(store):
    store, connections = store
    engines = two_partitions()
    epochs = {p: (await store.claim(p))[0] for p in (0, 1)}
    taken: list[int] = []
    offsets = {("orders", p): StoredOffset(5 + p, None) for p in (0, 1)}
    await store.save(pending(engines, taken), offsets, epochs)
    assert taken == [0, 1]  # in partition order, once each
    assert await connections.fetchval("SELECT count(*) FROM kpi_settled") == 6
    assert {p: o.next_offset for (_, p), o in (await store.offsets(offsets)).items()} == {0: 5, 1: 6}
    for p, engine in enumerate(engines):
        again = await restored(store, engine, p)
        assert dict(again.tombstones.items()) == dict(engine.tombstones.items()) and len(engine.tombstones) == 3
        same_figures(again, engine, SETTLED)


async def test_a_delta_failing_to_be_taken_writes_nothing_of_the_checkpoint(store):
    store, connections = store
    engines = two_partitions()
    epochs = {p: (await store.claim(p))[0] for p in (0, 1)}
    taken: list[int] = []
    deltas = pending(engines, taken)
    deltas._takes[1] = lambda: (_ for _ in ()).throw(RuntimeError("engine 1 failed"))
    with pytest.raises(RuntimeError, match="engine 1 failed"):
        await store.save(deltas, {("orders", p): StoredOffset(5, None) for p in (0, 1)}, epochs)
    assert taken == [0]
    for table in ("kpi_settled", "kpi_orders", "kpi_offsets", "kpi_buckets", "kpi_meta"):
        assert await connections.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    # the connections go on serving: the next checkpoints (on each of them) are written
    for _ in range(3):
        await store.save(pending(two_partitions(), []), {("orders", p): StoredOffset(5, None) for p in (0, 1)}, epochs)
    assert await connections.fetchval("SELECT count(*) FROM kpi_settled") == 6
