"""notify-svc's batch handlers leave exactly what its handlers one event at a time leave.

The same records (customers, orders placed and confirmed, a confirmation before its order, two
parcels of one order that share a digest, a delivery, a duplicate, a poison record and a
schema violation) are read back from the broker as one batch and given to two consumers: one
runs every handler per event with the plain unit of work (a statement per write), the other
the batch handlers with the batch unit of work (reads ahead, one statement per table). Their
schemas must end up the same, row for row, and a replay of the batch changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
from notify_svc.adapters.batching import BatchUnitOfWork
from notify_svc.adapters.unit_of_work import SqlUnitOfWork
from notify_svc.entrypoints.consumer import handler_table
from notify_svc.manifest import MANIFEST
from notify_svc.service_layer.context import ServiceContext
from orderpulse.events import new_envelope
from orderpulse.events.topics import dlq_topic
from orderpulse.messaging.kafka import create_producer, ensure_topics
from orderpulse.settings import PlatformSettings
from orderpulse.testing.consumer_stand import ConsumerStand, outcome
from orderpulse.testing.kafka_probe import one_partition_batch

NOW = datetime.now(UTC).replace(microsecond=0)
SNAPSHOT = {
    "customers": "customer_id, tier, name, email, phone, locale, timezone, account_manager, preferences",
    "orders": "order_id, customer_id, tier, promised_by",
    "shipments": "shipment_id, order_id, carrier, tracking_number, promised_by, eta",
    "milestones": "event_id, order_id, scope, milestone, event_time",
    "parked_events": "event_id, order_id, event_type, event_time, data",
    "notifications": "notification_id, order_id, customer_id, milestone, channel, subject, status, reason, merged_into, "
    "shipment_ids, details, trigger_event_id, trigger_time, due_at",
    "courtesy_calls": "call_id, order_id, customer_id, milestone, account_manager, due_by, status",
    "processed_events": "event_id",
}


def event(short_type: str, key: str, data: dict, minutes_ago: float) -> bytes:
    return new_envelope(type=short_type, source="/notify-test", key=key, data=data,
                        time=NOW - timedelta(minutes=minutes_ago)).to_json()


class Records:
    """Records of one test's orders and customers (ids prefixed with its tag)."""

    lines = [{"line_id": "l1", "sku": "MUG", "quantity": 2, "unit_price": "12.50"}]
    ship_to = {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"}
    promised = (NOW + timedelta(days=5)).isoformat()

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def customer(self, name: str, tier: str, manager: str | None, display: str) -> bytes:
        return event("customer.upserted.v1", f"{self.tag}-{name}", {
            "customer_id": f"{self.tag}-{name}", "tier": tier, "name": display, "email": f"{name}@example.com",
            "phone": "+4915112345678", "locale": "en", "timezone": "Europe/Berlin", "account_manager": manager,
        }, 30)

    def placed(self, order: str, who: str, tier: str) -> bytes:
        return event("order.placed.v1", f"{self.tag}-{order}", {
            "order_id": f"{self.tag}-{order}", "customer_id": f"{self.tag}-{who}", "customer_tier": tier, "channel": "web",
            "lines": self.lines, "currency": "EUR", "total": "25.00", "ship_to": self.ship_to, "service_level": "standard",
            "promised_by": self.promised, "entry_discrepancies": [],
        }, 20)

    def confirmed(self, order: str) -> bytes:
        return event("order.confirmed.v1", f"{self.tag}-{order}", {
            "order_id": f"{self.tag}-{order}", "lines": self.lines, "ship_to": self.ship_to, "service_level": "standard",
            "promised_by": self.promised,
        }, 19)

    def dispatched(self, order: str, shipment: str, minutes_ago: float) -> bytes:
        return event("shipment.dispatched.v1", f"{self.tag}-{order}", {
            "shipment_id": f"{self.tag}-{shipment}", "order_id": f"{self.tag}-{order}", "warehouse_id": "wh-1",
            "carrier": "dhl", "tracking_number": f"TRK-{shipment}", "lines": self.lines[:1], "promised_by": self.promised,
            "eta": (NOW + timedelta(days=2)).isoformat(),
        }, minutes_ago)


def records_to_produce(tag: str) -> list[bytes]:
    made = Records(tag)
    customer, placed, confirmed, dispatched = made.customer, made.placed, made.confirmed, made.dispatched
    twice = confirmed("o2")
    return [
        customer("ada", "vip", "am-grace", "Ada"),
        customer("bob", "standard", None, "Bob"),
        confirmed("o3"),  # before its order: parked until order.placed
        placed("o1", "ada", "vip"), confirmed("o1"),
        placed("o2", "bob", "standard"), twice,
        b"{this is not json",
        event("order.placed.v1", f"{tag}-o4", {"order_id": f"{tag}-o4"}, 10),  # violates its schema
        placed("o3", "bob", "standard"),
        dispatched("o1", "shp-a", 5), dispatched("o1", "shp-b", 4.5),  # one digest for both parcels
        dispatched("o2", "shp-c", 5),
        event("shipment.delivered.v1", f"{tag}-o2", {
            "shipment_id": f"{tag}-shp-c", "order_id": f"{tag}-o2", "carrier": "dhl", "condition": "intact",
            "lines": [{"sku": "MUG", "quantity": 2}], "proof": "signature",
        }, 1),
        twice,  # the same record again
        customer("bob", "standard", None, "Robert"),  # a later profile wins
    ]


class Stand(ConsumerStand):
    """A notify-svc consumer over its own freshly migrated schema."""

    def __init__(self, infrastructure, topic: str, batched: bool) -> None:
        super().__init__(infrastructure, topic, migrations=MANIFEST.migrations, prefix="notify_batch",
                         service="notify-batch-test", batched=batched)

    async def __aenter__(self) -> Stand:
        await super().__aenter__()
        unit = BatchUnitOfWork if self.batched else SqlUnitOfWork
        ctx = ServiceContext(unit_of_work=None, channels=None, tracking_url=lambda order_id, now: f"https://t/{order_id}",
                             clock=lambda: NOW)
        await self.start(handler_table(ctx, lambda session: unit.joining(session, schema=self.schema)))
        return self

    async def snapshot(self) -> dict[str, list]:
        async def read(connection) -> dict[str, list]:
            tables = {
                table: [tuple(row) for row in await connection.fetch(f'SELECT {columns} FROM "{self.schema}".{table} ORDER BY 1, 2')]
                for table, columns in SNAPSHOT.items()
                if table != "processed_events"
            }
            tables["processed_events"] = sorted(
                await connection.fetchval(f'SELECT array_agg(event_id) FROM "{self.schema}".processed_events'))
            outbox = await connection.fetch(f'SELECT topic, key, event_type, payload FROM "{self.schema}".outbox')
            tables["outbox"] = sorted((r["topic"], r["key"], r["event_type"], orjson.dumps(orjson.loads(r["payload"])["data"],
                                       option=orjson.OPT_SORT_KEYS)) for r in outbox)
            return tables

        return await self.query(read)


async def test_batch_handlers_leave_the_same_rows_events_and_dead_letters_as_one_event_at_a_time(infrastructure, kafka_topics):
    tag = uuid.uuid4().hex[:8]
    topic = f"test.notify.batch.{tag}"
    await ensure_topics(infrastructure.kafka_bootstrap, [topic, dlq_topic("notify-batch-test")], partitions=1)
    producer = create_producer(PlatformSettings(kafka_bootstrap=infrastructure.kafka_bootstrap))
    await producer.start()
    try:
        for value in records_to_produce(tag):
            await producer.send_and_wait(topic, value=value, partition=0)
    finally:
        await producer.stop()
    batch = await one_partition_batch(infrastructure.kafka_bootstrap, topic)

    async with Stand(infrastructure, topic, batched=False) as one_by_one, Stand(infrastructure, topic, batched=True) as batched:
        expected = outcome(await one_by_one.consumer.process(batch))
        assert outcome(await batched.consumer.process(batch)) == expected
        rows = await batched.snapshot()
        assert rows == await one_by_one.snapshot()
        replayed = await batched.consumer.process(batch)
        assert await batched.snapshot() == rows, "a replay changes nothing"

    applied, duplicates, _ignored, letters = expected
    assert (applied, duplicates, replayed.applied) == (13, 1, 0)
    assert [error.split(":")[0] for _, error in letters] == ["value is not JSON", "orderpulse.order.placed.v1 data violates its schema"]
    assert not rows["parked_events"], "the confirmation that came before its order was acted on once the order came"
    emails = {(order, milestone, status) for _, order, _, milestone, channel, _, status, *_ in rows["notifications"]
              if channel == "email"}
    for order in ("o1", "o2", "o3"):
        assert (f"{tag}-{order}", "order_confirmed", "pending") in emails
    assert (f"{tag}-o1", "shipped", "merged") in emails, "the second parcel joined the first one's message"
    assert any(row[2] == "Robert" for row in rows["customers"])
    assert len(rows["courtesy_calls"]) >= 1


async def test_events_parked_by_an_earlier_batch_are_acted_on_when_a_later_batch_brings_their_order_as_one_at_a_time(
    infrastructure, kafka_topics
):
    """The batch path takes the parked events out in the statement that adds the batch's orders:
    the same rows as one event at a time, whether the order or its parked events came first."""
    tag = uuid.uuid4().hex[:8]
    topic = f"test.notify.parked.{tag}"
    await ensure_topics(infrastructure.kafka_bootstrap, [topic, dlq_topic("notify-batch-test")], partitions=1)
    made = Records(tag)
    first = [
        made.customer("cy", "vip", "am-ada", "Cy"), made.customer("di", "standard", None, "Di"),
        made.confirmed("o5"), made.dispatched("o5", "shp-x", 6), made.dispatched("o5", "shp-y", 5.5),  # all parked
        made.confirmed("o6"),  # parked
        made.placed("o7", "di", "standard"), made.confirmed("o7"),
    ]
    second = [
        made.placed("o5", "cy", "vip"),  # takes out its three parked events
        made.placed("o6", "di", "standard"), made.dispatched("o6", "shp-z", 3),  # one parked, one of this batch
        made.confirmed("o8"),  # parked now, its order never comes
        made.placed("o7", "di", "standard"),  # again, with another id: nothing new
    ]
    producer = create_producer(PlatformSettings(kafka_bootstrap=infrastructure.kafka_bootstrap))
    await producer.start()
    try:
        for value in first:
            await producer.send_and_wait(topic, value=value, partition=0)
        batch_one = await one_partition_batch(infrastructure.kafka_bootstrap, topic)
        for value in second:
            await producer.send_and_wait(topic, value=value, partition=0)
        everything = await one_partition_batch(infrastructure.kafka_bootstrap, topic)
    finally:
        await producer.stop()
    (partition, records), = everything.items()
    batch_two = {partition: records[len(batch_one[partition]):]}

    async with Stand(infrastructure, topic, batched=False) as one_by_one, Stand(infrastructure, topic, batched=True) as batched:
        for batch in (batch_one, batch_two):
            assert outcome(await batched.consumer.process(batch)) == outcome(await one_by_one.consumer.process(batch))
            rows = await batched.snapshot()
            assert rows == await one_by_one.snapshot()

    assert [row[1] for row in rows["parked_events"]] == [f"{tag}-o8"]
    pending = {(order, milestone) for _, order, _, milestone, channel, _, status, *_ in rows["notifications"]
               if channel == "email" and status == "pending"}
    assert {(f"{tag}-o5", "order_confirmed"), (f"{tag}-o5", "shipped"), (f"{tag}-o6", "order_confirmed"),
            (f"{tag}-o6", "shipped"), (f"{tag}-o7", "order_confirmed")} <= pending
    assert any(row[1] == f"{tag}-o5" for row in rows["courtesy_calls"]), "the vip's parked confirmation got its call"
