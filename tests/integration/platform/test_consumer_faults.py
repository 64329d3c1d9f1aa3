"""Consumer faults: transient database errors are redone in a new transaction (never dead-lettered),
and a dead letter redriven once its cause is fixed (`orderpulse dlq list|show|redrive`) is applied,
not skipped as a duplicate."""

from __future__ import annotations

import asyncio
import sys

from consumer_harness import Harness, applied_count_is, cancelled, record_application
from orderpulse.events.topics import dlq_topic
from orderpulse.messaging.redrive import read_dead_letters, redrive
from orderpulse.observability import metrics
from orderpulse.testing.kafka_probe import TopicProbe
from sqlalchemy import text


async def test_deadlocks_and_serialization_failures_are_redone_in_new_transactions_and_never_dead_lettered(
    kafka_bootstrap, sessions, unique_name
):
    transactions: list[int] = []
    failures = {"40P01": 3, "40001": 3}  # more than max_attempts each: a savepoint retry would have given up

    async def contended_handler(session, envelope) -> None:
        transactions.append((await session.execute(text("SELECT txid_current()"))).scalar_one())
        for sqlstate, left in failures.items():
            if left:
                failures[sqlstate] -= 1
                await session.execute(text(f"DO $$ BEGIN RAISE EXCEPTION 'contended' USING ERRCODE = '{sqlstate}'; END $$"))
        await record_application(session, envelope)

    service = f"transient-{unique_name}"
    async with Harness(kafka_bootstrap, sessions, f"test.transient.{unique_name}", service) as harness:
        await harness.produce("ord_t", cancelled("ord_t"))
        runner, kafka_consumer = harness.consumer(handler=contended_handler)
        started = asyncio.get_running_loop().time()
        await harness.run_until(runner, kafka_consumer, lambda: applied_count_is(sessions, 1))
        took_s = asyncio.get_running_loop().time() - started

    assert failures == {"40P01": 0, "40001": 0}
    assert len(transactions) == 7 and len(set(transactions)) == 7, "each attempt must run in a fresh transaction"
    assert took_s > 0.6, "six failures were retried with backoff, for longer than the old 0.6 s budget"
    assert metrics.dlq_records_total.labels(service, harness.topic)._value.get() == 0  # noqa: SLF001


async def test_a_dead_letter_redriven_after_the_fix_is_applied_exactly_once(kafka_bootstrap, sessions, unique_name):
    broken = {"yes": True}

    async def handler_with_a_bug(session, envelope) -> None:
        if broken["yes"] and envelope.data["order_id"] == "ord_bug":
            raise KeyError("customer_tier")
        await record_application(session, envelope)

    service = f"redrive-{unique_name}"
    async with Harness(kafka_bootstrap, sessions, f"test.redrive.{unique_name}", service) as harness:
        await harness.produce("ord_bug", cancelled("ord_bug"))
        await harness.produce("ord_ok", cancelled("ord_ok"))
        async with TopicProbe(kafka_bootstrap, [dlq_topic(service)], from_beginning=True) as dlq:
            runner, kafka_consumer = harness.consumer(handler=handler_with_a_bug)
            await harness.run_until(runner, kafka_consumer, lambda: applied_count_is(sessions, 1))
            await dlq.wait_until(lambda records: len(records) == 1)

        letters = await read_dead_letters(kafka_bootstrap, service, quiet_s=0.5)
        assert len(letters) == 1 and "KeyError" in letters[0].error
        assert letters[0].original_topic == harness.topic

        listed = await orderpulse_dlq("list", service, "--bootstrap", kafka_bootstrap)
        assert f"1 dead letter(s) on {dlq_topic(service)}" in listed and letters[0].letter_id in listed
        assert "KeyError" in listed and harness.topic in listed
        shown = await orderpulse_dlq("show", service, letters[0].letter_id, "--bootstrap", kafka_bootstrap)
        assert "orderpulse_error: KeyError" in shown and '"order_id":"ord_bug"' in shown

        broken["yes"] = False  # the fix is deployed
        async with TopicProbe(kafka_bootstrap, [harness.topic]) as topic:
            said = await orderpulse_dlq("redrive", service, "--all", "--bootstrap", kafka_bootstrap)
            assert f"redrove 1 dead letter(s) of {service}" in said
            replayed = await topic.wait_until(lambda records: len(records) == 1)
        assert dict(replayed[0].headers)["orderpulse_redriven_from"] == f"{dlq_topic(service)}:{letters[0].letter_id}".encode()

        runner, kafka_consumer = harness.consumer(handler=handler_with_a_bug)
        await harness.run_until(runner, kafka_consumer, lambda: applied_count_is(sessions, 2))
        # redriving it again changes nothing: now it is a duplicate
        await redrive(harness.publisher, letters, service)
        duplicates = metrics.consumer_records_total.labels(service, harness.topic, "duplicate")
        before = duplicates._value.get()  # noqa: SLF001
        runner, kafka_consumer = harness.consumer(handler=handler_with_a_bug)
        await harness.run_until(runner, kafka_consumer, lambda: _above(duplicates, before))

    async with sessions() as session:
        orders = sorted((await session.execute(text("SELECT order_id FROM applied"))).scalars())
    assert orders == ["ord_bug", "ord_ok"]


async def orderpulse_dlq(*args: str) -> str:
    """`orderpulse dlq ...` as an operator runs it; its output (the command must succeed)."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "orderpulse.cli", "dlq", *args,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def _above(counter, value: float) -> bool:
    return counter._value.get() > value  # noqa: SLF001
