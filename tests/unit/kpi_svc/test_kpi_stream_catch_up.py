"""When the stream takes its checkpoints: every second when live; while a partition catches up,
every `catch_up_checkpoint_interval_s`, counted from the moment the lag is known (a replay's
first records), not from a checkpoint taken a second after the start to find it out."""

from __future__ import annotations

import time

from aiokafka import TopicPartition
from kpi_events import MONDAY
from kpi_svc.domain import KpiEngine, KpiRules
from kpi_svc.entrypoints.stream import CATCH_UP_INTERVALS, CATCH_UP_LAG_MS, KpiStream

ORDERS = "orderpulse.orders"
NOW_MS = int(MONDAY.timestamp() * 1000)


class Consumer:
    """An aiokafka consumer's assignment and high watermarks (None: nothing fetched yet)."""

    def __init__(self, highwater: dict[TopicPartition, int | None]) -> None:
        self._highwater = highwater

    def assignment(self) -> set[TopicPartition]:
        return set(self._highwater)

    def highwater(self, tp: TopicPartition) -> int | None:
        return self._highwater[tp]


class Store:
    async def save(self, deltas, offsets, epochs) -> None:
        dict(deltas)  # read, as CheckpointStore reads every delta before the offsets

    async def buckets_except(self, partitions):
        return {}

    async def forget_settled(self, now_ms: int) -> int:
        return 0


def stream_reading(event_ms: int | None, highwater: int | None = 100, read_to: int = 10) -> KpiStream:
    """One partition, read up to `read_to` of `highwater`, its last record's event time `event_ms`."""
    stream = KpiStream(store=Store(), rules=KpiRules(), consumer_factory=None, topics=(ORDERS,), dead_letters=None,
                       clock_ms=lambda: NOW_MS)
    tp = TopicPartition(ORDERS, 0)
    stream.consumer = Consumer({tp: highwater})
    stream.engines[0] = KpiEngine(stream.rules)
    stream._read_pos[tp] = read_to
    if event_ms is not None:
        stream._event_ms[tp] = event_ms
    return stream


def waited(stream: KpiStream, seconds: float) -> KpiStream:
    stream._checkpointed_at = time.monotonic() - seconds
    return stream


def test_a_live_stream_checkpoints_every_interval():
    stream = stream_reading(event_ms=NOW_MS - 1_000)
    assert not waited(stream, 0.5)._checkpoint_due()
    assert waited(stream, 1.5)._checkpoint_due()
    assert not stream.catching_up


def test_a_stream_found_behind_starts_the_catch_up_interval_instead_of_checkpointing():
    stream = stream_reading(event_ms=NOW_MS - CATCH_UP_LAG_MS - 1)
    assert not waited(stream, 1.5)._checkpoint_due()  # the lag is known now: no checkpoint to learn it
    assert stream.catching_up
    assert not stream._checkpoint_due()  # the catch-up interval counts from here
    assert not waited(stream, CATCH_UP_INTERVALS - 0.5)._checkpoint_due()
    assert waited(stream, CATCH_UP_INTERVALS + 0.5)._checkpoint_due()


def test_a_partition_that_returned_no_record_yet_counts_as_behind_as_in_a_checkpoint():
    stream = stream_reading(event_ms=None, highwater=None, read_to=0)
    assert not waited(stream, 1.5)._checkpoint_due()
    assert stream.catching_up


async def test_the_checkpoint_after_catching_up_brings_back_the_live_interval():
    stream = waited(stream_reading(event_ms=NOW_MS - CATCH_UP_LAG_MS - 1), 1.5)
    assert not stream._checkpoint_due()
    stream.consumer = Consumer({TopicPartition(ORDERS, 0): 10})  # read to its end: the wall clock
    assert waited(stream, CATCH_UP_INTERVALS + 0.5)._checkpoint_due()
    await stream.checkpoint()
    assert not stream.catching_up
    assert waited(stream, 1.5)._checkpoint_due()
