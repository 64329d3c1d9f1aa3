"""Platform faults: two relays for one outbox (one publishes, none loses a row; a relay whose lock
connection is cut stops), and a consumer task that dies is restarted while /readyz says 503."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import asyncpg
from consumer_harness import cancelled as cancelled_record
from orderpulse.events.envelope import new_envelope
from orderpulse.events.topics import ORDERS
from orderpulse.http.app import create_app
from orderpulse.messaging.kafka import KafkaPublisher, OutgoingRecord, create_producer
from orderpulse.messaging.outbox import add_to_outbox
from orderpulse.messaging.relay import IN_FLIGHT_BATCHES, OutboxRelay
from orderpulse.runtime import Platform
from orderpulse.settings import PlatformSettings
from orderpulse.testing.database import plain_dsn
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.service import running_app
from sqlalchemy import text


class CountingPublisher:
    """The real publisher, counting the records each relay handed to Kafka."""

    def __init__(self, inner: KafkaPublisher, name: str, counts: Counter) -> None:
        self._inner, self._name, self._counts = inner, name, counts
        self.delay_s = 0.0  # a slow broker: each batch takes this long to hand over

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        self._counts[self._name] += len(records)
        await self._inner.publish(records)

    async def enqueue(self, records: Sequence[OutgoingRecord]):
        await asyncio.sleep(self.delay_s)
        self._counts[self._name] += len(records)
        return await self._inner.enqueue(records)


def event(order_id: str, i: int):
    return new_envelope(type="order.cancelled.v1", source="/platform-test", key=order_id,
                        data={"order_id": order_id, "reason": str(i), "cancelled_by": "storefront"})


async def write(sessions, schema: str, events) -> None:
    async with sessions() as session, session.begin():
        await add_to_outbox(session, events, schema=schema)


async def until(condition, timeout_s: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, f"not within {timeout_s} s: {what}"
        await asyncio.sleep(0.05)


async def test_two_relays_for_one_outbox_publish_every_row_and_only_the_leader_publishes(
    sessions, engine, platform_schema, kafka_bootstrap, database_url, unique_name
):
    producer = create_producer(PlatformSettings(kafka_bootstrap=kafka_bootstrap))
    await producer.start()
    counts: Counter = Counter()
    relays = {name: OutboxRelay(engine=engine, publisher=CountingPublisher(KafkaPublisher(producer), name, counts),
                                schema=platform_schema, service="platform-test", poll_interval_s=0.1, batch_size=20)
              for name in ("a", "b")}
    tasks = [asyncio.create_task(relay.run()) for relay in relays.values()]
    mine = f"ord_{unique_name}_"
    written: list[str] = []
    try:
        async with TopicProbe(kafka_bootstrap, [ORDERS]) as probe:
            for burst in range(10):
                events = [event(f"{mine}{i % 9}", burst * 30 + i) for i in range(30)]
                written += [e.id for e in events]
                await write(sessions, platform_schema, events)
                await asyncio.sleep(0.05)
            await probe.wait_until(lambda rs: len(_ids(rs, mine)) >= 300, timeout_s=30)
            assert sum(relay.active for relay in relays.values()) == 1
            leader = next(name for name, relay in relays.items() if relay.active)
            follower = "b" if leader == "a" else "a"
            assert counts[follower] == 0 and counts[leader] == 300, counts

            # cut the leader's lock connection in the middle of a slow backlog: it must stop within
            # the batches already handed over, and the follower publishes the rest
            backlog = [event(f"{mine}{i % 9}", 1000 + i) for i in range(1000)]
            written += [e.id for e in backlog]
            relays[leader]._publisher.delay_s = 0.02  # noqa: SLF001
            await write(sessions, platform_schema, backlog)
            await until(lambda: _at_least(counts, leader, 300 + 200), 30, "the leader is draining the backlog")
            conn = await asyncpg.connect(plain_dsn(database_url))
            try:
                cut = await conn.fetchval(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objid = hashtext($1)::oid", f"outbox:{platform_schema}")
            finally:
                await conn.close()
            assert cut
            leader_count = counts[leader]
            await until(lambda: _is_active(relays[follower]), 15, "the follower took the lock")
            await probe.wait_until(lambda rs: _ids(rs, mine) >= set(written), timeout_s=60)
            in_flight = (IN_FLIGHT_BATCHES + 1) * 20
            assert counts[leader] <= leader_count + in_flight, "the relay that lost its lock connection published on"
            assert counts[follower] >= 1300 - counts[leader]
    finally:
        for relay in relays.values():
            relay.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
    async with sessions() as session:
        unpublished = (await session.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar_one()
    assert unpublished == 0


def _ids(records, prefix: str) -> set[str]:
    import orjson

    return {orjson.loads(r.value)["id"] for r in records if r.key and r.key.decode().startswith(prefix)}


async def _at_least(counts: Counter, name: str, value: int) -> bool:
    return counts[name] >= value


async def _is_active(relay: OutboxRelay) -> bool:
    return relay.active


async def test_a_consumer_task_that_dies_is_restarted_and_readyz_says_503_meanwhile(
    kafka_bootstrap, database_url, platform_schema, unique_name
):
    topic = f"test.supervised.{unique_name}"
    settings = PlatformSettings(
        service_name=platform_schema.replace("_", "-"), database_url=database_url, kafka_bootstrap=kafka_bootstrap,
        consumer_session_timeout_ms=2_000, consumer_heartbeat_interval_ms=200, outbox_poll_interval_s=0.2,
    )
    from orderpulse.messaging.kafka import ensure_topics

    await ensure_topics(kafka_bootstrap, [topic], partitions=2)

    async def apply(session, envelope) -> None:
        await session.execute(text("INSERT INTO applied (event_id, order_id) VALUES (:e, :o)"),
                              {"e": envelope.id, "o": envelope.data["order_id"]})

    platform = Platform(settings, consumed_topics=(topic,), handlers={"orderpulse.order.cancelled.v1": apply},
                        run_relay=False)
    app = create_app(settings=settings, title="t", description="t", routers=[], lifespan=platform.lifespan,
                     readiness_checks=platform.readiness_checks, database_errors=platform.database_errors)
    producer = create_producer(settings)
    await producer.start()
    try:
        async with running_app(app) as client:
            await until(lambda: _status(client, 200), 30, "ready once the consumer joined")
            await producer.send_and_wait(topic, key=b"ord_1", value=cancelled_record("ord_1"))
            await until(lambda: _applied(platform, 1), 30, "the first record applied")

            # what aiokafka does when asked about a partition revoked by a rebalance
            from aiokafka.errors import IllegalStateError

            kafka_consumer = platform.consumer._consumer  # noqa: SLF001 - inject the fault into the live client

            def revoked(_tp):
                raise IllegalStateError("No current assignment for partition")

            kafka_consumer.highwater = revoked
            answer = await _first_answer(client, 503, 15)
            assert answer.json()["checks"]["consumer"] == "unavailable" and answer.headers["Retry-After"]
            await until(lambda: _status(client, 200), 30, "ready again after the restart")
            assert platform.consumers.restarts == 1

            await producer.send_and_wait(topic, key=b"ord_2", value=cancelled_record("ord_2"))
            await until(lambda: _applied(platform, 2), 30, "records applied by the restarted consumer")
    finally:
        await producer.stop()


async def _status(client, expected: int) -> bool:
    return (await client.get("/readyz")).status_code == expected


async def _first_answer(client, status: int, timeout_s: float):
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        answer = await client.get("/readyz")
        if answer.status_code == status:
            return answer
        assert asyncio.get_running_loop().time() < deadline, f"/readyz never answered {status}"
        await asyncio.sleep(0.02)


async def _applied(platform: Platform, count: int) -> bool:
    async with platform.sessions() as session:
        return (await session.execute(text("SELECT count(*) FROM applied"))).scalar_one() == count
