"""A `TransientConflict` in fulfillment-svc's consumer is a race, never a reason to dead-letter.

The batch's reads can go stale before its locks (another transaction changed what a fulfillment
needs): the batch handler then raises `TransientConflict`. In a batch of several events the
consumer redoes it one event at a time; met by one event alone it must be treated like a deadlock
(the whole batch rolled back and redone later), not retried in a savepoint and dead-lettered.
The conflicts are injected into the real repository (the first N reads of the batch's cancelled
orders and fulfillments raise); the database and the broker are real.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import TopicPartition
from fulfillment_svc.adapters.unit_of_work import SqlUnitOfWork
from fulfillment_svc.entrypoints.consumer import ConflictOnOneEvent, handler_table
from fulfillment_svc.manifest import MANIFEST
from fulfillment_svc.service_layer.context import Policy, ServiceContext
from fulfillment_svc.service_layer.ports import TransientConflict
from orderpulse.db.errors import is_transient_error
from orderpulse.events import new_envelope
from orderpulse.testing.consumer_stand import ConsumerStand, outcome, produced_batch

NOW = datetime.now(UTC).replace(microsecond=0)


class ConflictingStand(ConsumerStand):
    """fulfillment-svc's batch handler over its own schema; the first `conflicts` batch reads raise
    `TransientConflict` (as `OrderBatch.locked` does when a fulfillment's needs grew meanwhile)."""

    def __init__(self, infrastructure, topic: str, conflicts: int) -> None:
        super().__init__(infrastructure, topic, migrations=MANIFEST.migrations, prefix="fulfillment_conflict",
                         service="ful-conflict-test", batched=True)
        self.conflicts_left = conflicts
        self.conflicts_raised = 0

    async def __aenter__(self) -> ConflictingStand:
        await super().__aenter__()
        await self.query(lambda connection: connection.execute(
            f'INSERT INTO "{self.schema}".stock (warehouse_id, sku, on_hand, reserved, updated_at) '
            "VALUES ('wh-1', 'MUG', 10, 0, now())"))
        stand = self

        class Conflicting(SqlUnitOfWork):
            def _attach(self, session) -> None:
                super()._attach(session)
                read = self.fulfillments.cancelled_and_by_orders

                async def cancelled_and_by_orders(order_ids):
                    if stand.conflicts_left > 0:
                        stand.conflicts_left -= 1
                        stand.conflicts_raised += 1
                        raise TransientConflict("the stock needs of a fulfillment changed while it was read")
                    return await read(order_ids)

                self.fulfillments.cancelled_and_by_orders = cancelled_and_by_orders

        ctx = ServiceContext(unit_of_work=None, policy=Policy(default_warehouse_id="wh-1"), clock=lambda: NOW)
        await self.start(handler_table(ctx, lambda session: Conflicting.joining(session, schema=self.schema)))
        return self

    async def count(self, table: str) -> int:
        return await self.query(lambda connection: connection.fetchval(f'SELECT count(*) FROM "{self.schema}".{table}'))


def confirmed(tag: str, order: str) -> bytes:
    order_id = f"{tag}-{order}"
    return new_envelope(type="order.confirmed.v1", source="/order-svc", key=order_id, time=NOW - timedelta(minutes=5),
                        data={"order_id": order_id, "service_level": "standard",
                              "lines": [{"line_id": "l1", "sku": "MUG", "quantity": 1, "unit_price": "12.50"}],
                              "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"},
                              "promised_by": (NOW + timedelta(days=5)).isoformat()}).to_json()


async def test_a_conflict_on_one_event_redoes_the_batch_later_and_never_dead_letters_it(infrastructure, kafka_topics):
    """Five conflicts in a row: the batch of three goes one at a time (conflict 1), its first event
    meets conflict 2 alone and the whole batch is rolled back as transient; the same again (3, 4);
    then the batch passes one at a time (5 was the fast pass's). Before, the first event was
    retried in its savepoint and dead-lettered."""
    tag = uuid.uuid4().hex[:8]
    topic = f"test.fulfillment.conflict.{tag}"
    records = await produced_batch(infrastructure, topic, "ful-conflict-test",
                                   [confirmed(tag, order) for order in ("o1", "o2", "o3")])
    batch = {TopicPartition(topic, 0): records}

    async with ConflictingStand(infrastructure, topic, conflicts=5) as stand:
        for _ in range(2):
            with pytest.raises(ConflictOnOneEvent) as raised:
                await stand.consumer.process(batch)
            assert is_transient_error(raised.value)
            assert await stand.count("processed_events") == 0 and await stand.count("fulfillments") == 0
        assert outcome(await stand.consumer.process(batch)) == (3, 0, 0, [])  # nothing dead-lettered
        assert stand.conflicts_raised == 5 and stand.sizes[-3:] == [1, 1, 1]
        assert await stand.count("fulfillments") == 3 and await stand.count("processed_events") == 3


async def test_a_conflict_in_a_batch_of_several_events_redoes_it_one_event_at_a_time(infrastructure, kafka_topics):
    tag = uuid.uuid4().hex[:8]
    topic = f"test.fulfillment.conflict.{tag}"
    records = await produced_batch(infrastructure, topic, "ful-conflict-test",
                                   [confirmed(tag, order) for order in ("o1", "o2")])

    async with ConflictingStand(infrastructure, topic, conflicts=1) as stand:
        assert outcome(await stand.consumer.process({TopicPartition(topic, 0): records})) == (2, 0, 0, [])
        assert stand.sizes == [2, 1, 1]  # the fast pass met the conflict; then one at a time
        assert await stand.count("fulfillments") == 2
