"""Drill: the embedded broker stopped under load and started again empty (Tansu keeps topics in
memory, so a stop is also a reset; 6 s here, the behaviour is the same for 30 s).

Orders are accepted all along (the outbox holds their events); once the broker is back the relay
notices it lost what was published, makes the topics again and republishes every retained row,
then reads the topics back and publishes again whatever Tansu did not keep (it acknowledges records
sent to partitions a topic made again lacks); fulfillment-svc's consumer notices the partitions it
reads were rebuilt (its anchor records are gone), reads them again and applies each event once.
"""

from __future__ import annotations

import asyncio

import asyncpg
import orjson
import pytest
from drill_support import (
    PARTITIONS,
    Storefront,
    eventually,
    order_and_fulfillment,
    stored_orders,
    unapplied_order_events,
)
from orderpulse.events.topics import ORDERS
from orderpulse.observability import metrics
from orderpulse.testing.database import plain_dsn
from orderpulse.testing.kafka_probe import TopicProbe

pytestmark = pytest.mark.solo  # timed fault drill: `make test` runs it alone after the parallel part

OUTAGE_S = 6


def _dead_letters() -> float:
    return metrics.dlq_records_total.labels("fulfillment-svc", ORDERS)._value.get()  # noqa: SLF001


async def test_broker_stopped_and_restarted_empty_loses_nothing_and_applies_each_event_once(fresh_drill_stack):
    stack = fresh_drill_stack
    before_dlq = _dead_letters()
    async with order_and_fulfillment(stack, broker_check_interval_s=1.0) as (orders, fulfillment):
        storefront = Storefront(orders)
        async with storefront.running():
            await storefront.until_accepted(30)
            await eventually(lambda: _effects_for_at_least(stack, 10), 60, "the first orders applied downstream")
            applied_before = await _fulfillment_effects(stack)
            await stack.stop_broker()
            accepted_at_stop = len(storefront.accepted)
            await asyncio.sleep(OUTAGE_S)
            accepted_while_down = len(storefront.accepted) - accepted_at_stop
            await stack.start_broker()
            await storefront.until_accepted(len(storefront.accepted) + 20)

        assert accepted_while_down >= 20, "orders must be accepted while the broker is down"
        assert storefront.refusals == [], storefront.statuses
        assert await stored_orders(stack, storefront.accepted) == set(storefront.accepted)
        await eventually(lambda: _all_applied(stack), 90, "every order event republished and applied by fulfillment-svc",
                         explain=lambda: _why_unapplied(stack, fulfillment))
        await eventually(lambda: _ready(orders, fulfillment), 30, "both services ready again")

        # the relay reads the topic back after republishing and publishes again what it lacks
        await eventually(lambda: _topic_holds_every_event(stack), 60, "the new topic holds every order event")
        partitions = await _partitions(stack)
        assert partitions == PARTITIONS, f"{partitions} partitions: the broker made the topic, not the relay"
    after = await _fulfillment_effects(stack)
    assert {k: v for k, v in after.items() if k in applied_before} == applied_before, "re-read events changed effects"
    assert _dead_letters() == before_dlq


async def _all_applied(stack) -> bool:
    unpublished, missing, total = await unapplied_order_events(stack)
    return unpublished == 0 and missing == 0 and total > 0


async def _why_unapplied(stack, fulfillment) -> str:
    """What a failure needs to tell a lost record from a stalled consumer: the counts, where the
    events fulfillment-svc lacks are on the topic (if at all), and the consumer's own view."""
    unpublished, missing, total = await unapplied_order_events(stack)
    conn = await asyncpg.connect(plain_dsn(stack.postgres.url()))
    try:
        lacking = {row[0] for row in await conn.fetch(
            "SELECT o.event_id FROM order_svc.outbox o WHERE o.topic = $1 AND NOT EXISTS "
            "(SELECT 1 FROM fulfillment_svc.processed_events p WHERE p.event_id = o.event_id)", ORDERS)}
    finally:
        await conn.close()
    async with TopicProbe(stack.broker.bootstrap, [ORDERS], from_beginning=True) as probe:
        await probe.read_to_end()
        where = sorted((record.partition, record.offset) for record in probe.records
                       if orjson.loads(record.value)["id"] in lacking)
        partitions = len({record.partition for record in probe.records})
    platform = fulfillment._transport.app.state.platform  # noqa: SLF001 - diagnostics only
    consumer = platform.consumer
    view = "no consumer running"
    if consumer is not None:
        kafka = consumer._consumer  # noqa: SLF001
        assigned = sorted(kafka.assignment())
        positions = []
        for tp in assigned:
            if tp.topic == ORDERS:
                try:
                    positions.append((tp.partition, await asyncio.wait_for(kafka.position(tp), 2)))
                except Exception as error:  # noqa: BLE001 - diagnostics: say what the consumer could not tell
                    positions.append((tp.partition, type(error).__name__))
        view = (f"running={platform.consumers.running} restarts={platform.consumers.restarts} "
                f"assigned={len(assigned)} order positions={positions}")
    return (f"unpublished={unpublished} missing={missing} of {total}; missing ones on the topic at "
            f"(partition, offset) {where[:40]} ({len(where)} of {len(lacking)}); topic has records on "
            f"{partitions} partitions; fulfillment consumer: {view}")


async def _partitions(stack) -> int:
    async with TopicProbe(stack.broker.bootstrap, [ORDERS]) as probe:
        return len(probe.partitions())


async def _topic_holds_every_event(stack) -> bool:
    async with TopicProbe(stack.broker.bootstrap, [ORDERS], from_beginning=True) as probe:
        await probe.read_to_end()
        on_topic = {event["id"] for event in probe.events()}
    return on_topic >= await _order_event_ids(stack)


async def _effects_for_at_least(stack, orders: int) -> bool:
    return len(await _fulfillment_effects(stack)) >= orders


async def _ready(*clients) -> bool:
    return all([(await client.get("/readyz")).status_code == 200 for client in clients])


async def _order_event_ids(stack) -> set[str]:
    conn = await asyncpg.connect(plain_dsn(stack.postgres.url()))
    try:
        return {row[0] for row in await conn.fetch("SELECT event_id FROM order_svc.outbox WHERE topic = $1", ORDERS)}
    finally:
        await conn.close()


async def _fulfillment_effects(stack) -> dict[str, int]:
    """Events fulfillment-svc wrote per order (its outbox): applying an order event twice would add some."""
    conn = await asyncpg.connect(plain_dsn(stack.postgres.url()))
    try:
        rows = await conn.fetch(
            "SELECT key, count(*) AS n FROM fulfillment_svc.outbox GROUP BY key")
        return {row["key"]: row["n"] for row in rows}
    finally:
        await conn.close()
