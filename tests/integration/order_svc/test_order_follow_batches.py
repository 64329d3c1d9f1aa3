"""order-svc follows a batch of fulfillment events at once and leaves exactly what following them
one at a time leaves.

The same records (two orders' fulfillment created, two parcels dispatched, scanned and delivered,
notifications for the timeline, a duplicate, a record that is not JSON, and an event for an order
order-svc does not know) are read back from the broker as one batch and given to two consumers
over their own schemas, each holding the same two orders: one runs the handlers one event at a
time, the other the batch handlers (the orders read and locked together, each written back once).
Their schemas must end up the same, row for row, with the same dead letters; a replay of the batch
changes nothing.
"""

from __future__ import annotations

import sys
import uuid
from datetime import timedelta
from pathlib import Path

from order_stack import created, delivered, dispatched, in_transit, notification_sent, rfc3339
from order_svc.adapters.unit_of_work import SqlOrderUnitOfWork
from order_svc.domain.model import Order
from order_svc.entrypoints.consumer import handler_table
from order_svc.manifest import MANIFEST
from orderpulse.testing.consumer_stand import ConsumerStand, outcome, produced_in_two_batches, same_in_both

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "order_svc"))
from order_builders import CATALOG, CUSTOMER, NOW, RULES, placing  # noqa: E402

SOURCE = "/order-svc"
SNAPSHOT = {  # the timeline without its serial position: entries of one batch may be numbered differently
    "orders": "*",
    "order_lines": "*",
    "invoices": "*",
    "shipments": "*",
    "timeline": "event_id, order_id, type, source, occurred_at, data",
}


def placed_orders(tag: str) -> list:
    return [Order.place(placing(), order_id=f"{tag}-o{n}", customer=CUSTOMER, catalog=CATALOG, rules=RULES,
                        now=NOW - timedelta(days=2)) for n in (1, 2)]


def as_placed(order) -> dict:
    """The order as the helpers of order_stack take it (the API's answer)."""
    placed = next(event for event in order.events if event.type == "order.placed.v1").to_data()
    return {**placed, "placed_at": rfc3339(order.placed_at)}


def records_to_produce(orders: list[dict], tag: str) -> list[bytes]:
    first, second = orders
    at = NOW - timedelta(days=1)
    twice = dispatched(first, "shp-a", at + timedelta(hours=2), ("MUG-1", 2))
    unknown = dict(first, order_id=f"{tag}-nobody")
    return [
        created(first, at).to_json(),
        created(second, at + timedelta(minutes=5)).to_json(),
        twice.to_json(),
        b"{this is not json",
        dispatched(second, "shp-c", at + timedelta(hours=3)).to_json(),
        in_transit(first, "shp-a", at + timedelta(hours=5)).to_json(),
        notification_sent(first, at + timedelta(hours=2, minutes=1)).to_json(),
        dispatched(first, "shp-b", at + timedelta(hours=6), ("TEE-1", 1)).to_json(),
        twice.to_json(),  # the same record again
        # the second batch: an order order-svc never heard of (dead-lettered, the batch redone one at a time)
        created(unknown, at).to_json(),
        delivered(first, "shp-a", at + timedelta(hours=20), ("MUG-1", 2)).to_json(),
        delivered(second, "shp-c", at + timedelta(hours=21)).to_json(),
    ]


FIRST_BATCH = 9  # records; the rest make the second


class Stand(ConsumerStand):
    """An order-svc consumer over its own freshly migrated schema holding `orders`."""

    def __init__(self, infrastructure, topic: str, orders: list, batched: bool) -> None:
        super().__init__(infrastructure, topic, migrations=MANIFEST.migrations, prefix="order_follow",
                         service="order-follow-test", batched=batched)
        self._orders = orders

    async def __aenter__(self) -> Stand:
        await super().__aenter__()
        async with SqlOrderUnitOfWork(self.sessions, schema=self.schema, source=SOURCE) as uow:
            for order in self._orders:
                await uow.orders.add(order)
            await uow.commit()
        await self.start(handler_table(lambda session: SqlOrderUnitOfWork.joining(session, schema=self.schema, source=SOURCE)))
        return self

    async def snapshot(self) -> dict[str, list]:
        async def read(connection) -> dict[str, list]:
            tables = await self.rows(connection, SNAPSHOT)
            outbox = await connection.fetch(f'SELECT topic, key, event_type FROM "{self.schema}".outbox')
            tables["outbox"] = sorted(tuple(row) for row in outbox)
            return tables

        return await self.query(read)


async def test_a_batch_of_fulfillment_events_leaves_the_same_orders_timeline_and_dead_letters_as_one_at_a_time(
    infrastructure, kafka_topics
):
    tag = uuid.uuid4().hex[:8]
    topic = f"test.order.follow.{tag}"
    orders = [as_placed(order) for order in placed_orders(tag)]
    whole, batches = await produced_in_two_batches(infrastructure, topic, "order-follow-test",
                                                   records_to_produce(orders, tag), FIRST_BATCH)

    async with (Stand(infrastructure, topic, placed_orders(tag), batched=False) as one_by_one,
                Stand(infrastructure, topic, placed_orders(tag), batched=True) as batched):
        for number, batch in enumerate(batches, start=1):
            expected = await same_in_both(one_by_one, batched, batch, f"batch {number}")
            if number == 1:
                assert expected[:2] == (7, 1)  # seven applied, one duplicate, the record that is not JSON
                assert [offset for offset, _ in expected[3]] == [3]
                assert max(batched.sizes) == 7  # every applied event went to the one batch handler at once
            else:
                assert expected[:2] == (2, 0)
                assert [offset for offset, _ in expected[3]] == [9]
                assert "OrderNotFound" in expected[3][0][1]
        assert set(one_by_one.sizes) == {1}

        wanted = await one_by_one.snapshot()
        assert len(wanted["orders"]) == 2 and len(wanted["shipments"]) == 3
        assert len(wanted["timeline"]) == 9
        assert {row[0]: row[16] for row in wanted["orders"]} == {f"{tag}-o1": "shipped", f"{tag}-o2": "delivered"}  # o1: one parcel of two arrived

        replay = outcome(await batched.consumer.process(whole))
        assert replay[0] == 0 and replay[1] == 10  # every good record a duplicate now
        assert await batched.snapshot() == wanted
