"""The relay marks a batch published only once Kafka acknowledged it, in the order the batches were
handed over; a failed acknowledgement leaves that batch and every later one unmarked."""

from __future__ import annotations

import asyncio

import pytest
from orderpulse.messaging.relay_marks import MarkPipeline


class RecordingConnection:
    """Stands in for the relay's marking connection: remembers the ids of each UPDATE."""

    def __init__(self) -> None:
        self.marked: list[list[int]] = []

    async def execute(self, _statement: str, ids: list[int]) -> str:
        await asyncio.sleep(0)
        self.marked.append(ids)
        return f"UPDATE {len(ids)}"


def rows(*ids: int) -> list[dict]:
    return [{"id": i} for i in ids]


async def test_a_batch_is_marked_only_after_its_acknowledgement():
    connection = RecordingConnection()
    pipeline = MarkPipeline(connection, lambda _rows: None)
    acknowledged = asyncio.get_running_loop().create_future()
    pipeline.add(rows(1, 2), acknowledged)
    for _ in range(5):
        await asyncio.sleep(0)
    assert connection.marked == []
    acknowledged.set_result(None)
    assert await pipeline.finish() == 2
    assert connection.marked == [[1, 2]]


async def test_batches_are_marked_in_the_order_they_were_handed_over_whatever_the_order_of_acks():
    connection = RecordingConnection()
    observed: list[int] = []
    pipeline = MarkPipeline(connection, lambda batch: observed.append(len(batch)))
    loop = asyncio.get_running_loop()
    first, second = loop.create_future(), loop.create_future()
    pipeline.add(rows(1, 2), first)
    pipeline.add(rows(3), second)
    second.set_result(None)
    await asyncio.sleep(0.01)
    assert connection.marked == [], "the second batch waits for the first"
    first.set_result(None)
    assert await pipeline.finish() == 3
    assert connection.marked == [[1, 2], [3]]
    assert observed == [2, 1]


async def test_a_failed_acknowledgement_leaves_its_batch_and_the_later_ones_unmarked():
    connection = RecordingConnection()
    pipeline = MarkPipeline(connection, lambda _rows: None)
    loop = asyncio.get_running_loop()
    done, failed, later = loop.create_future(), loop.create_future(), loop.create_future()
    for ids, acknowledged in (((1,), done), ((2,), failed), ((3,), later)):
        pipeline.add(rows(*ids), acknowledged)
    done.set_result(None)
    failed.set_exception(ConnectionError("broker away"))
    later.set_result(None)
    with pytest.raises(ConnectionError):
        await pipeline.finish()
    await pipeline.close()
    assert connection.marked == [[1]]


async def test_waiting_below_a_bound_keeps_at_most_that_many_batches_unmarked():
    connection = RecordingConnection()
    pipeline = MarkPipeline(connection, lambda _rows: None)
    loop = asyncio.get_running_loop()
    for i in range(6):
        acknowledged = loop.create_future()
        acknowledged.set_result(None)
        pipeline.add(rows(i), acknowledged)
        await pipeline.wait_below(4)
        assert len(pipeline) < 4
    assert await pipeline.finish() == 6
    assert connection.marked == [[i] for i in range(6)]
