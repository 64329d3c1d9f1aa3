"""Where the relay's drains start: past published ids, never past a row a transaction can still commit."""

from __future__ import annotations

import asyncio

import pytest
from orderpulse.events.envelope import new_envelope
from orderpulse.events.topics import ORDERS
from orderpulse.messaging import relay as relay_module
from orderpulse.messaging.outbox import add_to_outbox
from orderpulse.messaging.relay import OutboxRelay
from orderpulse.messaging.relay_start import DrainStart
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.polling import eventually
from sqlalchemy import text


def cancelled(order_id: str):
    return new_envelope(type="order.cancelled.v1", source="/platform-test", key=order_id,
                        data={"order_id": order_id, "reason": "test", "cancelled_by": "storefront"})


async def _id_of(engine, event) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT id FROM outbox WHERE event_id = :e"), {"e": event.id})).scalar_one()


async def _commit(sessions, schema: str, event) -> None:
    async with sessions() as session, session.begin():
        await add_to_outbox(session, [event], schema=schema)


async def _raw(connection):
    return (await connection.get_raw_connection()).driver_connection


async def _looked_and_drained(start: DrainStart, raw) -> int:
    await start.look(raw)
    start.drained()
    return start.after


async def test_the_start_stays_below_a_row_whose_transaction_is_still_open_and_passes_it_once_committed(
    sessions, engine, platform_schema, unique_name
):
    late, early = cancelled(f"ord_late_{unique_name}"), cancelled(f"ord_early_{unique_name}")
    start = DrainStart()
    async with engine.connect() as looking:
        raw = await _raw(looking)
        async with sessions() as open_session, open_session.begin():
            await add_to_outbox(open_session, [late], schema=platform_schema)  # takes the lower id, commits later
            await _commit(sessions, platform_schema, early)
            late_id = (await open_session.execute(text("SELECT id FROM outbox WHERE event_id = :e"),
                                                  {"e": late.id})).scalar_one()
            for _ in range(5):
                assert await _looked_and_drained(start, raw) < late_id
        early_id = await _id_of(engine, early)
        assert early_id > late_id
        # other tests' transactions may hold it back for a moment, never for good
        await eventually(lambda: _passed(start, raw, early_id), timeout_s=30)


async def _passed(start: DrainStart, raw, position: int) -> bool:
    return await _looked_and_drained(start, raw) >= position


async def test_an_id_left_empty_by_a_rolled_back_transaction_does_not_hold_the_start_back(
    sessions, engine, platform_schema, unique_name
):
    gone, kept = cancelled(f"ord_gone_{unique_name}"), cancelled(f"ord_kept_{unique_name}")
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await add_to_outbox(session, [gone], schema=platform_schema)
            raise RuntimeError("the business operation failed")
    await _commit(sessions, platform_schema, kept)
    kept_id = await _id_of(engine, kept)
    start = DrainStart()
    async with engine.connect() as looking:
        raw = await _raw(looking)
        await eventually(lambda: _passed(start, raw, kept_id), timeout_s=30)
    start.forget()  # rows made unpublished again: from the beginning
    assert start.after == 0


async def test_the_relay_publishes_a_row_committed_after_it_drained_past_higher_ids(
    sessions, engine, publisher, platform_schema, kafka_bootstrap, unique_name, monkeypatch
):
    monkeypatch.setattr(relay_module, "BOOKKEEPING_INTERVAL_S", 0.0)  # look after every drain
    relay = OutboxRelay(engine=engine, publisher=publisher, schema=platform_schema, service="platform-test",
                        poll_interval_s=0.05)
    task = asyncio.create_task(relay.run())
    try:
        async with TopicProbe(kafka_bootstrap, [ORDERS]) as probe:
            first = cancelled(f"ord_first_{unique_name}")
            await _commit(sessions, platform_schema, first)
            first_id = await _id_of(engine, first)
            await eventually(lambda: relay._start.after >= first_id, timeout_s=30)  # drains now start past it

            late = cancelled(f"ord_late_{unique_name}")
            async with sessions() as open_session, open_session.begin():
                await add_to_outbox(open_session, [late], schema=platform_schema)
                later = [cancelled(f"ord_later_{unique_name}_{i}") for i in range(3)]
                for event in later:
                    await _commit(sessions, platform_schema, event)
                later_ids = {event.id for event in later}
                await probe.wait_until(lambda rs: later_ids <= {dict(r.headers).get("ce_id", b"").decode() for r in rs})
            # committed only now, below ids already published and drained past
            await probe.wait_until(lambda rs: any(dict(r.headers).get("ce_id") == late.id.encode() for r in rs))
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar_one() == 0


async def test_a_role_that_may_not_read_the_sequence_leaves_the_start_at_the_first_row(
    sessions, engine, platform_schema, unique_name
):
    await _commit(sessions, platform_schema, cancelled(f"ord_{unique_name}"))
    role = f"no_sequence_{unique_name}".lower()
    async with engine.connect() as looking:
        raw = await _raw(looking)
        await raw.execute(f'CREATE ROLE "{role}"')
        try:
            await raw.execute(f'GRANT USAGE ON SCHEMA "{platform_schema}" TO "{role}"')
            await raw.execute(f'SET ROLE "{role}"')
            start = DrainStart()
            for _ in range(3):
                assert await _looked_and_drained(start, raw) == 0
            await raw.execute("RESET ROLE")
        finally:
            await raw.execute("RESET ROLE")
            await raw.execute(f'DROP OWNED BY "{role}"')
            await raw.execute(f'DROP ROLE "{role}"')
