"""The outbox: nothing from a rolled-back transaction, nothing lost when the relay is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap

import orjson
import pytest
from orderpulse.events.envelope import new_envelope
from orderpulse.events.topics import ORDERS
from orderpulse.messaging.broker_reset import BrokerWatch
from orderpulse.messaging.kafka import ensure_topics
from orderpulse.messaging.outbox import add_to_outbox
from orderpulse.messaging.relay import OutboxRelay
from orderpulse.testing.kafka_probe import TopicProbe
from sqlalchemy import text


def cancelled(order_id: str, reason: str = "test"):
    return new_envelope(
        type="order.cancelled.v1",
        source="/platform-test",
        key=order_id,
        data={"order_id": order_id, "reason": reason, "cancelled_by": "storefront"},
    )


def relay_for(engine, publisher, schema: str, **options) -> OutboxRelay:
    return OutboxRelay(engine=engine, publisher=publisher, schema=schema, service="platform-test", **options)


async def test_event_written_in_a_rolled_back_transaction_is_never_published(
    sessions, engine, publisher, platform_schema, kafka_bootstrap, unique_name
):
    kept, rolled_back = cancelled(f"ord_kept_{unique_name}"), cancelled(f"ord_gone_{unique_name}")
    async with TopicProbe(kafka_bootstrap, [ORDERS]) as probe:
        with pytest.raises(RuntimeError):
            async with sessions() as session, session.begin():
                await add_to_outbox(session, [rolled_back], schema=platform_schema)
                raise RuntimeError("the business operation failed")
        async with sessions() as session, session.begin():
            await add_to_outbox(session, [kept], schema=platform_schema)

        published = await relay_for(engine, publisher, platform_schema).drain()

        await probe.wait_until(lambda records: any(r.key == kept.partitionkey.encode() for r in records))
        await probe.settle(0.5)
    ids = {event["id"] for event in probe.events()}
    assert published == 1
    assert kept.id in ids
    assert rolled_back.id not in ids


async def test_published_records_carry_key_and_cloudevents_headers(
    sessions, engine, publisher, platform_schema, kafka_bootstrap, unique_name
):
    event = cancelled(f"ord_{unique_name}")
    async with TopicProbe(kafka_bootstrap, [ORDERS]) as probe:
        async with sessions() as session, session.begin():
            await add_to_outbox(session, [event], schema=platform_schema)
        await relay_for(engine, publisher, platform_schema).drain()
        records = await probe.wait_until(lambda rs: any(r.key == event.partitionkey.encode() for r in rs))
    record = next(r for r in records if r.key == event.partitionkey.encode())
    headers = dict(record.headers)
    assert headers["ce_type"] == b"orderpulse.order.cancelled.v1"
    assert headers["ce_id"] == event.id.encode()
    assert headers["content-type"] == b"application/cloudevents+json"
    body = orjson.loads(record.value)
    assert body["specversion"] == "1.0" and body["partitionkey"] == event.partitionkey
    assert body["data"]["order_id"] == event.partitionkey


async def test_relay_wakes_on_notify_without_waiting_for_its_poll(
    sessions, engine, publisher, platform_schema, kafka_bootstrap, unique_name
):
    relay = relay_for(engine, publisher, platform_schema, poll_interval_s=30.0)
    task = asyncio.create_task(relay.run())
    try:
        event = cancelled(f"ord_{unique_name}")
        async with TopicProbe(kafka_bootstrap, [ORDERS]) as probe:
            await asyncio.sleep(0.5)  # let the relay take the lock and LISTEN
            async with sessions() as session, session.begin():
                await add_to_outbox(session, [event], schema=platform_schema)
            # far below the 30 s poll interval: only the notification can have woken it
            await probe.wait_until(lambda rs: any(r.key == event.partitionkey.encode() for r in rs), timeout_s=5)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)


RELAY_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from orderpulse.db.engine import create_engine
    from orderpulse.messaging.kafka import KafkaPublisher, create_producer
    from orderpulse.messaging.relay import OutboxRelay
    from orderpulse.settings import PlatformSettings

    async def main(url, bootstrap, schema):
        engine = create_engine(url, schema=schema)
        producer = create_producer(PlatformSettings(kafka_bootstrap=bootstrap))
        await producer.start()
        relay = OutboxRelay(engine=engine, publisher=KafkaPublisher(producer), schema=schema,
                            service="platform-test", batch_size=50, poll_interval_s=0.05)
        await relay.run()

    asyncio.run(main(*sys.argv[1:4]))
    """
)


async def test_relay_killed_mid_batch_publishes_everything_after_restart(
    sessions, engine, publisher, platform_schema, kafka_bootstrap, database_url, unique_name
):
    events = [cancelled(f"ord_{unique_name}_{i % 40}", reason=str(i)) for i in range(3000)]
    async with sessions() as session, session.begin():
        await add_to_outbox(session, events, schema=platform_schema)

    async with TopicProbe(kafka_bootstrap, [ORDERS]) as probe:
        relay_process = subprocess.Popen(
            [sys.executable, "-c", RELAY_SCRIPT, database_url, kafka_bootstrap, platform_schema],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            published = 0
            for _ in range(600):
                async with engine.connect() as conn:
                    published = (await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"))).scalar_one()
                if published >= 200:
                    break
                await asyncio.sleep(0.02)
            os.kill(relay_process.pid, signal.SIGKILL)
        finally:
            relay_process.wait(10)
        assert 0 < published < len(events), "the kill must land mid-stream"

        await relay_for(engine, publisher, platform_schema).drain()
        wanted = {event.id for event in events}
        await probe.wait_until(lambda rs: wanted <= {dict(r.headers).get("ce_id", b"").decode() for r in rs}, timeout_s=60)

    seen_in_order: dict[str, list[int]] = {}
    for body in probe.events():
        if body["id"] in wanted:
            seen_in_order.setdefault(body["partitionkey"], []).append(int(body["data"]["reason"]))
    for key, reasons in seen_in_order.items():
        first_seen = list(dict.fromkeys(reasons))
        assert first_seen == sorted(first_seen), f"events of {key} were published out of order"
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar_one() == 0


async def test_published_rows_are_kept_for_the_retention_period_then_purged(
    sessions, engine, publisher, platform_schema
):
    async with sessions() as session, session.begin():
        await add_to_outbox(session, [cancelled("ord_old"), cancelled("ord_new")], schema=platform_schema)
    relay = relay_for(engine, publisher, platform_schema, retention_s=3600)
    await relay.drain()
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE outbox SET published_at = published_at - interval '2 hours' WHERE key = 'ord_old'")
        )
    assert await relay.purge_published() == 1
    async with engine.connect() as conn:
        keys = (await conn.execute(text("SELECT key FROM outbox"))).scalars().all()
    assert keys == ["ord_new"]


async def test_idempotency_keys_past_their_retention_are_purged_by_the_relay_housekeeping(
    sessions, engine, publisher, platform_schema
):
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO idempotency_keys (principal, key, request_hash, created_at) VALUES "
            "('storefront', 'old', 'h', clock_timestamp() - interval '2 days'), ('storefront', 'fresh', 'h', DEFAULT)"))
    relay = relay_for(engine, publisher, platform_schema, idempotency_retention_s=24 * 3600, poll_interval_s=0.05,
                      housekeeping_interval_s=0.0)
    task = asyncio.create_task(relay.run())
    try:
        deadline = asyncio.get_running_loop().time() + 10
        while await _idempotency_keys(engine) != ["fresh"]:
            assert asyncio.get_running_loop().time() < deadline, await _idempotency_keys(engine)
            await asyncio.sleep(0.05)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)


async def _idempotency_keys(engine) -> list[str]:
    async with engine.connect() as conn:
        return sorted((await conn.execute(text("SELECT key FROM idempotency_keys"))).scalars().all())


class ForgetfulBroker:
    """A broker watch that reports one reset, then finds one event lacking at the first read-back
    (as Tansu can leave a republished record unreadable); the second read-back finds everything."""

    def __init__(self, lacking: str) -> None:
        self._reset_pending = True
        self._lacking = {lacking}
        self.recoveries = 0
        self.read_backs: list[set[str]] = []

    async def lost_records(self) -> bool:
        reset, self._reset_pending = self._reset_pending, False
        return reset

    def acknowledged(self):
        return {}

    def remember(self, acknowledged) -> None:
        pass

    async def recover(self) -> None:
        self.recoveries += 1

    async def missing_events(self, retained) -> set[str]:
        ids = {event_id for event_ids in retained.values() for event_id in event_ids}
        self.read_backs.append(ids)
        missing, self._lacking = self._lacking & ids, set()
        return missing


async def test_after_a_broker_reset_the_relay_republishes_everything_then_what_the_broker_still_lacks(
    sessions, engine, publisher, platform_schema, kafka_bootstrap, unique_name
):
    events = [cancelled(f"ord_{unique_name}_{i}") for i in range(3)]
    async with sessions() as session, session.begin():
        await add_to_outbox(session, events, schema=platform_schema)
    await relay_for(engine, publisher, platform_schema).drain()
    broker = ForgetfulBroker(lacking=events[0].id)

    async with TopicProbe(kafka_bootstrap, [ORDERS]) as probe:
        relay = relay_for(engine, publisher, platform_schema, poll_interval_s=0.05, broker_watch=broker,
                          broker_check_interval_s=0.05)
        task = asyncio.create_task(relay.run())
        try:
            wanted = {events[0].id: 2, events[1].id: 1, events[2].id: 1}
            await probe.wait_until(lambda rs: _copies(rs, wanted) == wanted, timeout_s=15)
            async with asyncio.timeout(10):
                while len(broker.read_backs) < 2:
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # a third read-back or copy would be a bug
        finally:
            relay.stop()
            await asyncio.wait_for(task, 10)

    assert broker.recoveries == 1
    assert len(broker.read_backs) == 2, "read back until the broker holds everything, then stop"
    assert all({event.id for event in events} <= ids for ids in broker.read_backs)
    assert _copies(probe.records, wanted) == wanted, "the reset republished each row once, the lacking one twice"


def _copies(records, wanted: dict[str, int]) -> dict[str, int]:
    ids = [dict(record.headers).get("ce_id", b"").decode() for record in records]
    return {event_id: ids.count(event_id) for event_id in wanted}


async def test_a_new_relay_republishes_what_an_earlier_one_published_to_a_broker_that_lost_it(
    sessions, engine, publisher, platform_schema, kafka_bootstrap, unique_name
):
    """A relay process that has published nothing yet has no acknowledged offsets of its own: it
    compares the broker with those its predecessor saved. Here the predecessor published 3 rows up
    to offset 7 of a partition, and the broker came back without them (a service restarted just
    before the embedded broker did, or the whole stack restarted with a fresh broker)."""
    topic = f"orderpulse.test.lost-{unique_name}"
    await ensure_topics(kafka_bootstrap, [topic], partitions=3)
    events = [cancelled(f"ord_{unique_name}_{i}") for i in range(3)]
    async with sessions() as session, session.begin():
        await add_to_outbox(session, events, schema=platform_schema)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE outbox SET topic = :t, published_at = clock_timestamp()"), {"t": topic})
        await conn.execute(text("INSERT INTO outbox_offsets VALUES (:t, 1, 7)"), {"t": topic})

    async with TopicProbe(kafka_bootstrap, [topic], from_beginning=True) as probe:
        relay = relay_for(engine, publisher, platform_schema, poll_interval_s=0.05,
                          broker_watch=BrokerWatch(publisher, kafka_bootstrap), broker_check_interval_s=60)
        task = asyncio.create_task(relay.run())
        try:
            wanted = {event.id: 1 for event in events}
            await probe.wait_until(lambda rs: _copies(rs, wanted) == wanted, timeout_s=20)
        finally:
            relay.stop()
            await asyncio.wait_for(task, 10)


async def test_the_relay_saves_the_offsets_the_broker_acknowledged_for_the_next_leader(
    sessions, engine, publisher, platform_schema, kafka_bootstrap, unique_name
):
    events = [cancelled(f"ord_{unique_name}_{i}") for i in range(5)]
    async with sessions() as session, session.begin():
        await add_to_outbox(session, events, schema=platform_schema)
    relay = relay_for(engine, publisher, platform_schema, poll_interval_s=0.05,
                      broker_watch=BrokerWatch(publisher, kafka_bootstrap), broker_check_interval_s=60)
    task = asyncio.create_task(relay.run())
    try:
        async with asyncio.timeout(20):
            while not (saved := await _saved_offsets(engine)):
                await asyncio.sleep(0.05)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
    assert saved == {where: offset for where, offset in publisher.acknowledged.items() if where[0] == ORDERS}
    assert {topic for topic, _ in saved} == {ORDERS}


async def _saved_offsets(engine) -> dict[tuple[str, int], int]:
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT topic, partition, base_offset FROM outbox_offsets"))).all()
    return {(topic, partition): offset for topic, partition, offset in rows}


class UnanswerableBroker:
    """A broker watch whose broker cannot be asked the first `failures` times (just restarted)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.asked = 0

    async def lost_records(self) -> bool:
        self.asked += 1
        if self.asked <= self.failures:
            raise ConnectionError("the broker is not answering yet")
        return False

    def acknowledged(self):
        return {}

    def remember(self, acknowledged) -> None:
        pass

    async def recover(self) -> None:
        raise AssertionError("nothing was lost")

    async def missing_events(self, retained) -> set[str]:
        return set()


async def test_the_relay_publishes_nothing_until_the_broker_says_whether_it_lost_records(
    sessions, engine, publisher, platform_schema, unique_name
):
    """A produce request sent with metadata from before a broker restart makes the topic again
    with the broker's own partition count (Tansu), so while the broker cannot be asked, the relay
    waits rather than publishes."""
    events = [cancelled(f"ord_{unique_name}_{i}") for i in range(3)]
    async with sessions() as session, session.begin():
        await add_to_outbox(session, events, schema=platform_schema)
    broker = UnanswerableBroker(failures=4)
    relay = relay_for(engine, publisher, platform_schema, poll_interval_s=0.05, broker_watch=broker,
                      broker_check_interval_s=60)
    task = asyncio.create_task(relay.run())
    try:
        async with asyncio.timeout(20):
            while broker.asked < broker.failures:
                await asyncio.sleep(0.01)
                assert await _unpublished(engine) == 3, "published before the broker could be asked"
            while await _unpublished(engine):
                await asyncio.sleep(0.05)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
    assert broker.asked == broker.failures + 1


async def _unpublished(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar_one()
