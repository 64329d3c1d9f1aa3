"""A checkpoint's deltas are taken partition by partition as the store reads them (PendingDeltas:
PostgreSQL writes one partition's rows while the next is reconciled), and exactness holds: a save
that fails half-way keeps what it drained and leaves the rest in the engines, and a store that
would write the offsets without reading every delta fails the checkpoint."""

from __future__ import annotations

import orjson
import pytest
from aiokafka import TopicPartition
from kpi_events import MONDAY, OrderStory
from kpi_svc.adapters.checkpoint_store import StoredOffset
from kpi_svc.domain import KpiEngine, KpiRules
from kpi_svc.entrypoints.pending_deltas import PendingDeltas
from kpi_svc.entrypoints.stream import KpiStream

ORDERS = "orderpulse.orders"


class ReadingStore:
    """Reads the deltas in turn as CheckpointStore does; notes what each engine's clock was at each
    read; fails after reading `fail_after` deltas when told; keeps what a successful save wrote."""

    def __init__(self, stream: KpiStream) -> None:
        self.stream = stream
        self.clocks_seen: list[dict[int, int]] = []
        self.fail_after: int | None = None
        self.orders: dict[str, list] = {}
        self.offsets: dict = {}

    async def save(self, deltas, offsets, epochs) -> None:
        read = {}
        for number, (p, delta) in enumerate(deltas.items(), start=1):
            read[p] = delta
            self.clocks_seen.append({q: engine.clock_ms for q, engine in self.stream.engines.items()})
            if self.fail_after == number:
                self.fail_after = None
                raise ConnectionError("database unavailable")
        for delta in read.values():
            self.orders.update({k: orjson.loads(v) for k, v in delta.orders.items()})
        self.offsets.update(offsets)

    async def buckets_except(self, partitions):
        return {}

    async def forget_settled(self, now_ms: int) -> int:
        return 0


def stream_with_two_partitions() -> tuple[KpiStream, ReadingStore]:
    stream = KpiStream(store=None, rules=KpiRules(), consumer_factory=None, topics=(ORDERS,), dead_letters=None,
                       clock_ms=lambda: int(MONDAY.timestamp() * 1000) + 3_600_000)
    stream.store = store = ReadingStore(stream)
    for partition in (0, 1):
        applied(stream, partition, f"ord-{partition}", 0)
    return stream, store


def applied(stream: KpiStream, partition: int, order_id: str, offset: int) -> None:
    engine = stream.engines.setdefault(partition, KpiEngine(stream.rules))
    placed = OrderStory(order_id, MONDAY).placed()
    engine.apply(placed)
    stream._positions[TopicPartition(ORDERS, partition)] = StoredOffset(offset + 1, placed["id"])
    stream._event_ms[TopicPartition(ORDERS, partition)] = int(MONDAY.timestamp() * 1000)  # its watermark


def test_a_delta_is_taken_when_first_read_and_once():
    taken = []
    deltas = PendingDeltas({p: (lambda p=p: taken.append(p) or f"delta {p}") for p in (0, 1, 2)})
    assert len(deltas) == 3 and 2 in deltas and list(deltas) == [0, 1, 2] and taken == []
    assert deltas[1] == "delta 1" and deltas[1] == "delta 1" and taken == [1]
    assert not deltas.all_taken() and deltas.taken() == {1: "delta 1"}
    assert dict(deltas) == {0: "delta 0", 1: "delta 1", 2: "delta 2"} and taken == [1, 0, 2]
    assert deltas.all_taken()


async def test_each_engine_advances_when_the_store_reads_its_delta():
    stream, store = stream_with_two_partitions()
    before = stream.engines[1].clock_ms
    await stream.checkpoint()
    first, second = store.clocks_seen
    assert first[0] > before and first[1] == before  # partition 1 not reconciled yet while 0 is written
    assert second[1] > before
    assert set(store.orders) == {"ord-0", "ord-1"} and len(store.offsets) == 2


async def test_a_save_failing_after_reading_one_delta_loses_nothing():
    stream, store = stream_with_two_partitions()
    store.fail_after = 1
    with pytest.raises(ConnectionError):
        await stream.checkpoint()
    assert set(stream._unsaved) == {0}  # drained: waits for the next checkpoint
    applied(stream, 1, "ord-1b", 1)  # partition 1 was never drained: its changes are in its engine
    await stream.checkpoint()
    assert set(store.orders) == {"ord-0", "ord-1", "ord-1b"}
    assert store.offsets[(ORDERS, 0)].next_offset == 1 and store.offsets[(ORDERS, 1)].next_offset == 2
    assert stream._unsaved == {}


async def test_a_store_writing_offsets_without_reading_every_delta_fails_the_checkpoint():
    class Careless(ReadingStore):
        async def save(self, deltas, offsets, epochs) -> None:
            self.offsets.update(offsets)

    stream, _ = stream_with_two_partitions()
    stream.store = Careless(stream)
    with pytest.raises(RuntimeError, match="without reading every partition's delta"):
        await stream.checkpoint()
