"""feedback-svc's batch handler of order.cancelled and fulfillment.completed leaves exactly what
its handlers one event at a time leave.

The same records are read back from the broker and given to two consumers over their own
schemas: one runs the handler table's handlers one event at a time, the other the batch handlers
(completions and cancellations of different orders go together: the completions' surveys
scheduled with one read and one statement, the cancellations marked with one; an order that has
both is applied in the order read). The first batch: orders placed, completions that schedule a survey,
an order completed twice (one survey), an order cancelled after its completion (its survey
withdrawn) and one cancelled before it (no survey), an order closed short with nothing delivered
(no survey), a duplicate record and one that is not JSON. The second: completions around one whose
data breaks the catalog's schema (dead-lettered as it is read), the cancellation of an order
whose survey the first batch scheduled, an order cancelled twice (the first time stays) and one
completed, then cancelled in the same batch (its survey withdrawn). Their schemas must end up the same, row for row (survey ids aside: they are
drawn fresh); a replay changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
from feedback_svc.adapters.unit_of_work import SqlUnitOfWork
from feedback_svc.domain.survey_links import SurveyLinks
from feedback_svc.entrypoints.consumer import handler_table
from feedback_svc.manifest import MANIFEST
from feedback_svc.service_layer.context import ServiceContext
from orderpulse.events import new_envelope
from orderpulse.scheduling import DueWorkLoop
from orderpulse.testing.consumer_stand import ConsumerStand, outcome, produced_in_two_batches, same_in_both

NOW = datetime.now(UTC).replace(microsecond=0)
SNAPSHOT = {
    "known_orders": "order_id, customer_id, placed_at, cancelled_at",
    "surveys": "order_id, status, delivered_at, due_at",
}


def records_to_produce(tag: str) -> tuple[list[bytes], int]:
    """The records, and how many of them make the first batch."""

    def event(short_type: str, order: str, data: dict, minutes_ago: float, source: str = "/order-svc") -> bytes:
        order_id = f"{tag}-{order}"
        return new_envelope(type=short_type, source=source, key=order_id, data={"order_id": order_id, **data},
                            time=NOW - timedelta(minutes=minutes_ago)).to_json()

    def placed(order: str, minutes_ago: float) -> bytes:
        at = NOW - timedelta(minutes=minutes_ago)
        return event("order.placed.v1", order, {
            "customer_id": f"{tag}-cus", "customer_tier": "standard", "channel": "web",
            "lines": [{"line_id": "l1", "sku": "MUG", "quantity": 2, "unit_price": "12.50"}], "currency": "EUR",
            "total": "25.00", "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"},
            "service_level": "standard", "promised_by": (at + timedelta(days=5)).isoformat(), "entry_discrepancies": [],
        }, minutes_ago)

    def completed(order: str, minutes_ago: float, delivered: int = 2) -> bytes:
        at = NOW - timedelta(minutes=minutes_ago)
        return event("fulfillment.completed.v1", order, {
            "shipments": 1, "delivered_at": at.isoformat() if delivered else None,
            "lines_requested": [{"sku": "MUG", "quantity": 2}],
            "lines_delivered": [{"sku": "MUG", "quantity": delivered}] if delivered else [],
            "closed_short": delivered < 2,
        }, minutes_ago, source="/fulfillment-svc")

    def cancelled(order: str, minutes_ago: float) -> bytes:
        return event("order.cancelled.v1", order, {"reason": "customer", "cancelled_by": "support"}, minutes_ago)

    twice = completed("o1", 40)
    broken = orjson.loads(completed("bad", 10))
    broken["data"]["shipments"] = -1  # the catalog says shipments >= 0
    first = [
        *(placed(order, 60) for order in ("o1", "o2", "o3", "o4", "o5")),
        twice,
        completed("o2", 39),
        cancelled("o3", 38),  # before its completion: no survey
        completed("o3", 37),
        b"{this is not json",
        completed("o1", 36),  # a second completion of o1 (another event): still one survey
        cancelled("o2", 35),  # after its completion: the survey is withdrawn
        completed("o4", 34, delivered=0),  # closed short, nothing delivered: no survey
        twice,  # the same record again
        completed("o5", 33),
    ]
    second = [
        completed("o6", 12), cancelled("o8", 11.5), orjson.dumps(broken), cancelled("o5", 8), cancelled("o8", 7.5),
        completed("o7", 7), cancelled("o6", 6),
    ]
    return first + second, len(first)


class Stand(ConsumerStand):
    """A feedback-svc consumer over its own freshly migrated schema."""

    def __init__(self, infrastructure, topic: str, batched: bool) -> None:
        super().__init__(infrastructure, topic, migrations=MANIFEST.migrations, prefix="feedback_batch",
                         service="feedback-batch-test", batched=batched)

    async def __aenter__(self) -> Stand:
        await super().__aenter__()
        ctx = ServiceContext(unit_of_work=None, links=SurveyLinks(b"a-test-secret-of-thirty-two-byte", public_url="https://f"),
                             clock=lambda: NOW)
        loop = DueWorkLoop("test", lambda now: None)  # never started: a nudge only sets its flag
        await self.start(handler_table(ctx, lambda session: SqlUnitOfWork.joining(session, schema=self.schema),
                                       loop, nudge_horizon=timedelta(hours=2)))
        return self

    async def snapshot(self) -> dict[str, list]:
        return await self.query(lambda connection: self.rows(connection, SNAPSHOT))


async def test_a_batch_of_cancellations_and_completions_leaves_the_same_surveys_and_dead_letters_as_one_at_a_time(
    infrastructure, kafka_topics
):
    tag = uuid.uuid4().hex[:8]
    topic = f"test.feedback.batch.{tag}"
    values, first = records_to_produce(tag)
    whole, batches = await produced_in_two_batches(infrastructure, topic, "feedback-batch-test", values, first)

    async with (Stand(infrastructure, topic, batched=False) as one_by_one,
                Stand(infrastructure, topic, batched=True) as batched):
        for number, batch in enumerate(batches, start=1):
            expected = await same_in_both(one_by_one, batched, batch, f"batch {number}")
            if number == 1:
                assert expected[:2] == (13, 1), expected  # thirteen applied, one duplicate, the record that is not JSON
                assert [offset for offset, _ in expected[3]] == [9]
                assert batched.sizes == [5, 8]  # the placed orders at once, then every cancellation and completion
            else:
                assert expected[:2] == (6, 0)
                assert [offset for offset, _ in expected[3]] == [first + 2]
                assert "violates its schema" in expected[3][0][1]
                assert batched.sizes[2:] == [6]
        assert set(one_by_one.sizes) == {1}

        wanted = await one_by_one.snapshot()
        surveys = {order.removeprefix(f"{tag}-"): status for order, status, *_ in wanted["surveys"]}
        assert surveys == {"o1": "scheduled", "o2": "withdrawn", "o5": "withdrawn", "o6": "withdrawn", "o7": "scheduled"}
        cancelled = {o.removeprefix(f"{tag}-"): at for o, _c, _p, at in wanted["known_orders"] if at is not None}
        assert sorted(cancelled) == ["o2", "o3", "o5", "o6", "o8"]
        assert cancelled["o8"] == NOW - timedelta(minutes=11.5)  # its first cancellation

        replay = outcome(await batched.consumer.process(whole))
        assert replay[0] == 0 and replay[1] == 20  # every good record a duplicate now (one twice)
        assert await batched.snapshot() == wanted
