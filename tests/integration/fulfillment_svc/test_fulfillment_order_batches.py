"""fulfillment-svc's batch handler leaves exactly what its handlers one event at a time leave.

The same records are read back from the broker and given to two consumers over their own
schemas, each with the same stock in two warehouses: one runs the handlers one event at a time,
the other the batch handler (runs of confirmations of new orders opened together: the stock
locked once, written with a few statements; every other event alone, in its place). The first
batch: new orders choosing either warehouse (one that the first order leaves short, so it is
backordered), a confirmation sent again, an order cancelled after its confirmation and one
cancelled before it, a return requested (and its id requested again, which changes nothing), a
duplicate and a record that is not JSON. The second:
more new orders around a confirmation fulfillment-svc cannot read (its lines name one line twice:
the batch is redone one event at a time and only that one is dead-lettered). Their schemas must
end up the same, row for row; a replay changes nothing.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import orjson
from fulfillment_svc.adapters.unit_of_work import SqlUnitOfWork
from fulfillment_svc.entrypoints.consumer import handler_table
from fulfillment_svc.manifest import MANIFEST
from fulfillment_svc.service_layer.context import Policy, ServiceContext
from orderpulse.events import new_envelope
from orderpulse.testing.consumer_stand import ConsumerStand, outcome, produced_in_two_batches, same_in_both

NOW = datetime.now(UTC).replace(microsecond=0)
STOCK = [("wh-1", "MUG", 10), ("wh-1", "TEE", 1), ("wh-2", "LAMP", 5), ("wh-2", "MUG", 3)]
SNAPSHOT = {
    "stock": "warehouse_id, sku, on_hand, reserved",
    "fulfillments": "fulfillment_id, order_id, warehouse_id, status, ship_deadline, promised_by, created_at, state",
    "backorders": "*",
    "cancelled_orders": "*",
    "shipments": "*",
    "requested_returns": "return_id, order_id, lines, reason, kind, requested_at",
}


class Records:
    """Records of order-svc's events about the orders of one test (`tag`)."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def event(self, short_type: str, order: str, data: dict, minutes_ago: float) -> bytes:
        order_id = f"{self.tag}-{order}"
        return new_envelope(type=short_type, source="/order-svc", key=order_id, data={"order_id": order_id, **data},
                            time=NOW - timedelta(minutes=minutes_ago)).to_json()

    def confirmed(self, order: str, minutes_ago: float, **units: int) -> bytes:
        lines = [{"line_id": f"{order}-l{n}", "sku": sku, "quantity": quantity, "unit_price": "12.50"}
                 for n, (sku, quantity) in enumerate(units.items(), start=1)]
        return self.event("order.confirmed.v1", order, {
            "lines": lines, "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"},
            "service_level": "standard", "promised_by": (NOW + timedelta(days=5)).isoformat(),
        }, minutes_ago)

    def cancelled(self, order: str, minutes_ago: float) -> bytes:
        return self.event("order.cancelled.v1", order, {"reason": "customer", "cancelled_by": "support"}, minutes_ago)


def records_to_produce(tag: str) -> tuple[list[bytes], int]:
    """The records, and how many of them make the first batch."""
    records = Records(tag)
    event, confirmed, cancelled = records.event, records.confirmed, records.cancelled

    twice = confirmed("o1", 30, MUG=2, TEE=1)
    unreadable = orjson.loads(confirmed("bad", 10, MUG=1))
    unreadable["data"]["lines"].append(dict(unreadable["data"]["lines"][0]))  # the same line twice
    first = [
        twice,
        confirmed("o2", 29, TEE=1),  # o1 took the only TEE: backordered
        confirmed("o3", 28, LAMP=2),  # only wh-2 has lamps
        cancelled("o4", 27),  # cancelled before it was confirmed: never opened
        b"{this is not json",
        confirmed("o4", 26, MUG=1),
        confirmed("o5", 25, MUG=1, LAMP=1),
        cancelled("o5", 24),  # cancelled after: its units go back
        confirmed("o6", 23, MUG=4),
        twice,  # the same record again
        confirmed("o3", 22, LAMP=1),  # sent again, changed: re-planned
        event("return.requested.v1", "o3", {"return_id": f"{tag}-r1", "reason": "changed_mind", "kind": "refund",
                                            "lines": [{"sku": "LAMP", "quantity": 1}]}, 21),
        confirmed("o7", 20, MUG=1, TEE=1),
        event("return.requested.v1", "o1", {"return_id": f"{tag}-r1", "reason": "damaged", "kind": "refund",
                                            "lines": [{"sku": "MUG", "quantity": 1}]}, 19),  # the id again: ignored
        confirmed("o10", 18, MUG=1),  # after a requested return: still in the run
    ]
    second = [confirmed("o8", 12, MUG=1), orjson.dumps(unreadable), confirmed("o9", 9, TEE=1, LAMP=1)]
    return first + second, len(first)


class Stand(ConsumerStand):
    """A fulfillment-svc consumer over its own freshly migrated schema with the same stock."""

    def __init__(self, infrastructure, topic: str, batched: bool, stock: list[tuple[str, str, int]] = STOCK) -> None:
        super().__init__(infrastructure, topic, migrations=MANIFEST.migrations, prefix="fulfillment_batch",
                         service="ful-batch-test", batched=batched)
        self.stock = stock

    async def __aenter__(self) -> Stand:
        await super().__aenter__()
        await self.query(lambda connection: connection.executemany(
            f'INSERT INTO "{self.schema}".stock (warehouse_id, sku, on_hand, reserved, updated_at) '
            "VALUES ($1, $2, $3, 0, now())", self.stock))
        numbers = itertools.count(1)
        ctx = ServiceContext(unit_of_work=None, policy=Policy(default_warehouse_id="wh-1"), clock=lambda: NOW,
                             new_id=lambda prefix: f"{prefix}_{next(numbers):04d}")
        await self.start(handler_table(ctx, lambda session: SqlUnitOfWork.joining(session, schema=self.schema)))
        return self

    async def snapshot(self) -> str:
        async def read(connection) -> str:
            tables = await self.rows(connection, SNAPSHOT)
            outbox = await connection.fetch(f'SELECT topic, key, event_type, payload FROM "{self.schema}".outbox ORDER BY id')
            tables["outbox"] = [(r["topic"], r["key"], r["event_type"], orjson.loads(r["payload"])["data"]) for r in outbox]
            # a fast pass that failed and was rolled back drew ids too: name each fulfillment by its order
            text = repr(tables)
            for fulfillment_id, order_id in await connection.fetch(
                    f'SELECT fulfillment_id, order_id FROM "{self.schema}".fulfillments'):
                text = text.replace(f"'{fulfillment_id}'", f"'ful-of-{order_id}'")
            return text

        return await self.query(read)


async def test_a_batch_of_order_events_leaves_the_same_fulfillments_stock_events_and_dead_letters_as_one_at_a_time(
    infrastructure, kafka_topics
):
    tag = uuid.uuid4().hex[:8]
    topic = f"test.fulfillment.batch.{tag}"
    values, first = records_to_produce(tag)
    whole, batches = await produced_in_two_batches(infrastructure, topic, "ful-batch-test", values, first)

    async with (Stand(infrastructure, topic, batched=False) as one_by_one,
                Stand(infrastructure, topic, batched=True) as batched):
        for number, batch in enumerate(batches, start=1):
            expected = await same_in_both(one_by_one, batched, batch, f"batch {number}")
            if number == 1:
                assert expected[:2] == (13, 1), expected  # thirteen applied, one duplicate, the record that is not JSON
                assert [offset for offset, _ in expected[3]] == [4]
                assert batched.sizes == [13]  # the batch's events went to the batch handler at once
            else:
                assert expected[:2] == (2, 0)
                assert [offset for offset, _ in expected[3]] == [first + 1]
                assert "InvalidOrder" in expected[3][0][1]
                assert batched.sizes[1] == 3 and batched.sizes[2:] == [1, 1, 1]  # then redone one at a time
        assert set(one_by_one.sizes) == {1}

        wanted = await one_by_one.snapshot()
        for order, warehouse, status in (("o1", "wh-1", "open"), ("o2", "wh-1", "open"), ("o3", "wh-2", "open"),
                                         ("o5", "wh-2", "cancelled"), ("o9", "wh-2", "open")):
            assert f"'{tag}-{order}', '{warehouse}', '{status}'" in wanted
        assert f"'{tag}-o4', 'wh-" not in wanted and f"'{tag}-bad', 'wh-" not in wanted
        assert f"'{tag}-o10', 'wh-1', 'open'" in wanted
        assert wanted.count(f"'{tag}-r1', '{tag}-o3'") == 1 and "'damaged'" not in wanted  # the first request of r1

        replay = outcome(await batched.consumer.process(whole))
        assert replay[0] == 0 and replay[1] == 16  # every good record a duplicate now (one twice)
        assert await batched.snapshot() == wanted


async def held(stand: Stand, tag: str) -> tuple[dict, dict]:
    """(warehouse, sku) -> (on_hand, reserved); order -> (status, reserved, backordered) of the test's orders."""

    async def read(connection) -> tuple[dict, dict]:
        stock = {(r["warehouse_id"], r["sku"]): (r["on_hand"], r["reserved"])
                 for r in await connection.fetch(f'SELECT * FROM "{stand.schema}".stock')}
        orders = {r["order_id"].removeprefix(f"{tag}-"): (r["status"], orjson.loads(r["state"])["reserved"],
                                                           orjson.loads(r["state"]).get("backordered", {}))  # written only when owed
                  for r in await connection.fetch(f'SELECT order_id, status, state FROM "{stand.schema}".fulfillments')}
        return stock, orders

    return await stand.query(read)


async def test_confirmations_and_cancellations_mixed_in_one_batch_share_short_stock_as_one_at_a_time(
    infrastructure, kafka_topics
):
    """Two orders compete for the last unit of a sku in one batch; an order confirmed and cancelled
    in the same batch gives its units to an order confirmed after it; a cancel later in that batch
    hands the last unit to the backorder made earlier in it. The next batch cancels that order: its
    unit goes to the backorder left by the first batch (a fulfillment the batch does not otherwise
    hold), and a re-sent confirmation needing less frees units."""
    tag = uuid.uuid4().hex[:8]
    topic = f"test.fulfillment.mixed.{tag}"
    records = Records(tag)
    first = [
        records.confirmed("a1", 30, LAST=1),  # takes the last unit
        records.confirmed("a2", 29, LAST=1),  # short: backordered
        records.confirmed("a3", 28, MUG=2),
        records.cancelled("a3", 27),  # confirmed and cancelled in the same batch: its 2 MUG go back
        records.confirmed("a4", 26, MUG=5),  # gets all five, the two a3 gave back among them
        records.confirmed("a5", 25, LAST=1),  # short: backordered behind a2
        records.cancelled("a1", 24),  # the last unit goes to a2, the oldest backorder (made in this batch)
    ]
    second = [
        records.cancelled("a2", 20),  # the unit goes to a5, owed since the first batch
        records.confirmed("b1", 19, LAST=1),  # nothing left: backordered
        records.confirmed("a4", 18, MUG=3),  # sent again needing less: two MUG free
        records.confirmed("b2", 17, MUG=2),  # takes them
    ]
    whole, batches = await produced_in_two_batches(infrastructure, topic, "ful-batch-test", first + second, len(first))
    stock = [("wh-1", "LAST", 1), ("wh-1", "MUG", 5)]

    async with (Stand(infrastructure, topic, batched=False, stock=stock) as one_by_one,
                Stand(infrastructure, topic, batched=True, stock=stock) as batched):
        expected = await same_in_both(one_by_one, batched, batches[0], "first batch")
        assert expected == (7, 0, 0, []) and batched.sizes == [7]
        rows, orders = await held(batched, tag)
        assert rows[("wh-1", "LAST")] == (1, 1) and rows[("wh-1", "MUG")] == (5, 5)
        assert orders["a1"] == ("cancelled", {}, {}) and orders["a3"] == ("cancelled", {}, {})
        assert orders["a2"] == ("open", {"LAST": 1}, {}) and orders["a5"] == ("open", {}, {"LAST": 1})
        assert orders["a4"] == ("open", {"MUG": 5}, {})

        expected = await same_in_both(one_by_one, batched, batches[1], "second batch")
        assert expected == (4, 0, 0, []) and batched.sizes == [7, 4]
        rows, orders = await held(batched, tag)
        assert rows[("wh-1", "LAST")] == (1, 1) and rows[("wh-1", "MUG")] == (5, 5)
        assert orders["a2"] == ("cancelled", {}, {})
        assert orders["a5"] == ("open", {"LAST": 1}, {}) and orders["b1"] == ("open", {}, {"LAST": 1})
        assert orders["a4"] == ("open", {"MUG": 3}, {}) and orders["b2"] == ("open", {"MUG": 2}, {})

        wanted = await batched.snapshot()
        replay = outcome(await batched.consumer.process(whole))
        assert replay[:2] == (0, len(first + second))
        assert await batched.snapshot() == wanted
