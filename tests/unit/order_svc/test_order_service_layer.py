"""order-svc's service layer with an in-memory unit of work: one commit per command, events to the
outbox and the order's timeline together, replays that change nothing, refusals that commit nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from fake_unit_of_work import FakeStore, FakeUnitOfWork
from order_builders import CATALOG, CUSTOMER, LATER, NOW, RULES, placing
from order_svc.domain.commands import CancelOrder, UpsertCustomer
from order_svc.domain.errors import (
    CannotCancelDispatched,
    OrderNotFound,
    PaymentsNotConfigured,
    UnknownCustomer,
)
from order_svc.entrypoints.consumer import fulfillment_report, handler_table
from order_svc.service_layer import following, handlers, queries
from order_svc.service_layer.ports import IdempotentRequest, Placement, Reference, Reply, TimelineEntry
from orderpulse.commands import TransientConflict
from orderpulse.db.idempotency import IdempotencyKeyReused
from orderpulse.events.envelope import new_envelope


@pytest.fixture
def store() -> FakeStore:
    return FakeStore(customers={CUSTOMER.customer_id: CUSTOMER}, catalog=dict(CATALOG))


def context(store: FakeStore, payments_enabled: bool = True) -> handlers.Context:
    return handlers.Context(
        new_uow=lambda: FakeUnitOfWork(store),
        rules=RULES,
        payments_enabled=payments_enabled,
        clock=lambda: NOW,
        new_order_id=lambda: "ord_1",
    )


def answer(order) -> Reply:
    return Reply(201, order.status.value.encode())


async def test_placing_stages_the_orders_events_for_the_outbox_and_its_timeline_in_one_commit(store):
    reply = await handlers.place_order(context(store), placing(), idempotency=None, reply=answer)

    assert reply == Reply(201, b"confirmed")
    assert store.commits == 1
    types = [envelope.type for envelope in store.outbox]
    assert types == [
        "orderpulse.order.placed.v1",
        "orderpulse.order.payment_authorized.v1",
        "orderpulse.order.confirmed.v1",
        "orderpulse.order.invoiced.v1",
    ]
    assert {entry.event_id for entry in store.timeline.values()} == {envelope.id for envelope in store.outbox}
    assert all(envelope.time == NOW and envelope.partitionkey == "ord_1" for envelope in store.outbox)


async def test_without_payment_callbacks_a_pending_order_is_refused_naming_the_setting(store):
    with pytest.raises(PaymentsNotConfigured) as refused:
        await handlers.place_order(
            context(store, payments_enabled=False), placing(payment_status="pending"), idempotency=None, reply=answer
        )

    assert (refused.value.field, refused.value.setting) == ("payment_status", "ORDERPULSE_SIGNING_SECRETS")
    assert refused.value.http_status == 422
    assert store.outbox == []


async def test_with_payment_callbacks_a_pending_order_waits_for_one(store):
    reply = await handlers.place_order(
        context(store), placing(payment_status="pending"), idempotency=None, reply=answer
    )

    assert reply.body == b"pending_payment"


async def test_a_replayed_request_gets_the_first_reply_and_changes_nothing(store):
    key = IdempotentRequest(principal="storefront", key="k1", fingerprint="f1")
    first = await handlers.place_order(context(store), placing(), idempotency=key, reply=answer)
    outbox_before = list(store.outbox)

    again = await handlers.place_order(context(store), placing(), idempotency=key, reply=answer)

    assert again == Reply(first.status_code, first.body, replayed=True)
    assert store.outbox == outbox_before


async def test_a_retry_gets_the_first_reply_even_when_the_entry_checks_would_now_refuse_it(store):
    key = IdempotentRequest(principal="storefront", key="k1", fingerprint="f1")
    promise = placing(promised_by=NOW + timedelta(hours=2))
    first = await handlers.place_order(context(store), promise, idempotency=key, reply=answer)
    outbox_before = list(store.outbox)
    after_the_promise = replace(context(store), clock=lambda: NOW + timedelta(hours=3))

    again = await handlers.place_order(after_the_promise, promise, idempotency=key, reply=answer)

    assert again == Reply(first.status_code, first.body, replayed=True)
    assert store.outbox == outbox_before


async def test_a_key_reused_for_another_body_that_is_refused_is_a_conflict(store):
    await handlers.place_order(
        context(store), placing(), idempotency=IdempotentRequest("storefront", "k1", "f1"), reply=answer
    )
    commits = store.commits

    with pytest.raises(IdempotencyKeyReused):
        await handlers.place_order(
            context(store), placing(customer_id="cus_x"), idempotency=IdempotentRequest("storefront", "k1", "f2"),
            reply=answer,
        )

    assert store.commits == commits


class KeyPurgedInBetween(FakeUnitOfWork):
    """The fast placing path finds the key taken, but it is gone (purged) when the first reply is read."""

    async def __aenter__(self) -> KeyPurgedInBetween:
        await super().__aenter__()

        async def key_taken(*_args) -> Placement:
            return Placement(placed=False)

        self.entry.place = key_taken
        return self


async def test_a_key_purged_between_the_claim_and_the_replay_places_the_order_the_ordinary_way(store):
    key = IdempotentRequest(principal="storefront", key="k1", fingerprint="f1")
    ctx = replace(context(store), new_uow=lambda: KeyPurgedInBetween(store))

    reply = await handlers.place_order(ctx, placing(), idempotency=key, reply=answer)

    assert not reply.replayed and reply.body == store.orders["ord_1"].status.value.encode()
    assert store.commits == 1 and "orderpulse.order.placed.v1" in [event.type for event in store.outbox]
    assert [entry.type for entry in store.timeline.values()] == [event.type for event in store.outbox]
    assert store.keys[("storefront", "k1")] == ("f1", reply)


class HeldCopies(FakeUnitOfWork):
    """The entry decides on `copies` (unchecked), as a replica's held copies; placing finds them outdated
    `outdated` times (answering with the store's values), then places as the fake does."""

    def __init__(self, store: FakeStore, copies: Reference, outdated: int = 1) -> None:
        super().__init__(store)
        self.copies, self.outdated, self.checked_reads = copies, outdated, 0

    async def __aenter__(self) -> HeldCopies:
        await super().__aenter__()
        read, place = self.entry.reference, self.entry.place

        async def reference(customer_id, skus, *, checked=False) -> Reference:
            if not checked:
                return self.copies
            self.checked_reads += 1
            return await read(customer_id, skus, checked=True)

        async def placing_checked(order, timeline, reply, idempotency, reference) -> Placement:
            if self.outdated > 0:
                self.outdated -= 1
                self._events.clear()  # the adapter drops what was recorded for the outdated decision
                skus = [line.sku for line in order.lines]
                return Placement(placed=False, outdated_by=await read(order.customer_id, skus, checked=True))
            return await place(order, timeline, reply, idempotency, reference)

        self.entry.reference, self.entry.place = reference, placing_checked
        return self


OLD_MUG_PRICE = replace(CATALOG["MUG-1"], unit_price=CATALOG["MUG-1"].unit_price + 1)


async def test_an_order_decided_on_outdated_copies_is_decided_again_on_the_current_values(store):
    outdated = Reference(CUSTOMER, {**CATALOG, "MUG-1": OLD_MUG_PRICE}, checked=False)
    uow = HeldCopies(store, outdated)
    ctx = replace(context(store), new_uow=lambda: uow)

    reply = await handlers.place_order(ctx, placing(), idempotency=None, reply=answer)

    assert reply.body == b"confirmed"  # on the copies its price differed: it would have been held
    assert store.commits == 1 and store.orders["ord_1"].discrepancies == ()
    assert [envelope.type for envelope in store.outbox].count("orderpulse.order.placed.v1") == 1


async def test_a_refusal_is_never_decided_on_copies(store):
    uow = HeldCopies(store, Reference(None, dict(CATALOG), checked=False), outdated=0)
    ctx = replace(context(store), new_uow=lambda: uow)

    reply = await handlers.place_order(ctx, placing(), idempotency=None, reply=answer)

    assert reply.body == b"confirmed" and uow.checked_reads == 1


async def test_reference_data_that_keeps_changing_refuses_the_order_and_writes_nothing(store):
    key = IdempotentRequest("storefront", "k1", "f1")
    uow = HeldCopies(store, Reference(CUSTOMER, dict(CATALOG), checked=False), outdated=1_000)
    ctx = replace(context(store), new_uow=lambda: uow)

    with pytest.raises(TransientConflict, match="changed 5 times"):  # a 503 `busy` with Retry-After
        await handlers.place_order(ctx, placing(), idempotency=key, reply=answer)

    assert store.commits == 0 and store.outbox == [] and store.keys == {} and store.orders == {}


async def test_a_key_reused_for_another_request_is_refused(store):
    await handlers.place_order(
        context(store), placing(), idempotency=IdempotentRequest("storefront", "k1", "f1"), reply=answer
    )

    with pytest.raises(IdempotencyKeyReused):
        await handlers.place_order(
            context(store), placing(), idempotency=IdempotentRequest("storefront", "k1", "f2"), reply=answer
        )


async def test_a_refused_command_commits_nothing_and_releases_its_key(store):
    key = IdempotentRequest("storefront", "k1", "f1")

    with pytest.raises(UnknownCustomer):
        await handlers.place_order(context(store), placing(customer_id="cus_x"), idempotency=key, reply=answer)

    assert store.commits == 0 and store.outbox == [] and store.keys == {}


async def test_cancelling_after_dispatch_is_refused_and_records_nothing(store):
    await handlers.place_order(context(store), placing(), idempotency=None, reply=answer)
    store.orders["ord_1"].apply_fulfillment_fact(
        "shipment.dispatched.v1", LATER, shipment_id="s1", lines=[{"sku": "MUG-1", "quantity": 1}]
    )
    commits = store.commits

    with pytest.raises(CannotCancelDispatched):
        await handlers.cancel_order(
            context(store),
            CancelOrder(order_id="ord_1", reason="late", cancelled_by="support"),
            idempotency=None,
            reply=answer,
        )

    assert store.commits == commits


async def test_an_unchanged_customer_is_not_published_again(store):
    profile = UpsertCustomer(
        customer_id="cus_1", tier="vip", name="Ada", email="ada@example.com", phone="+1 555 0100", timezone="UTC"
    )

    customer, created = await handlers.upsert_customer(context(store), profile)

    assert customer == CUSTOMER and created is False
    assert store.outbox == []


async def test_a_fulfillment_fact_moves_the_status_and_joins_the_timeline(store):
    await handlers.place_order(context(store), placing(), idempotency=None, reply=answer)
    envelope = new_envelope(
        type="fulfillment.created.v1",
        source="/fulfillment-svc",
        key="ord_1",
        time=LATER,
        data={"fulfillment_id": "f1", "order_id": "ord_1", "warehouse_id": "w1", "lines": []},
    )
    async with FakeUnitOfWork(store) as uow:
        await following.follow_fulfillment(uow, fulfillment_report(envelope), TimelineEntry.of(envelope))
        await uow.commit()

    assert (await queries.order(context(store), "ord_1")).status.value == "in_fulfillment"
    timeline = await queries.order_timeline(context(store), "ord_1", limit=50, after=None)
    assert timeline[-1].event_id == envelope.id


async def test_a_fulfillment_fact_for_an_unknown_order_fails_so_it_reaches_the_dead_letters(store):
    envelope = new_envelope(
        type="shipment.in_transit.v1",
        source="/fulfillment-svc",
        key="ord_9",
        time=LATER,
        data={"shipment_id": "s1", "order_id": "ord_9", "carrier": "ups"},
    )

    async with FakeUnitOfWork(store) as uow:
        with pytest.raises(OrderNotFound):
            await following.follow_fulfillment(uow, fulfillment_report(envelope), TimelineEntry.of(envelope))


def test_a_completed_fulfillment_reports_the_delivered_lines():
    envelope = new_envelope(
        type="fulfillment.completed.v1",
        source="/fulfillment-svc",
        key="ord_1",
        time=LATER + timedelta(days=1),
        data={
            "order_id": "ord_1",
            "shipments": 1,
            "delivered_at": "2026-11-22T10:00:00Z",
            "closed_short": True,
            "lines_requested": [{"sku": "MUG-1", "quantity": 2}],
            "lines_delivered": [{"sku": "MUG-1", "quantity": 1}],
        },
    )

    report = fulfillment_report(envelope)

    assert report.lines == [{"sku": "MUG-1", "quantity": 1}] and report.closed_short is True


def test_the_consumer_follows_every_order_event_of_fulfillment_notifications_and_feedback_but_not_labor():
    table = handler_table(lambda session: FakeUnitOfWork(FakeStore()))

    assert "orderpulse.shipment.delivered.v1" in table
    assert "orderpulse.notification.sent.v1" in table
    assert "orderpulse.issue.opened.v1" in table
    assert "orderpulse.labor.shift_recorded.v1" not in table
    assert "orderpulse.inventory.adjusted.v1" not in table  # keyed by warehouse: ignored, never dead-lettered
    assert not any(name.startswith(("orderpulse.order.", "orderpulse.customer.")) for name in table)


async def test_payments_switched_off_explicitly_name_that_setting(store):
    off = handlers.Context(
        new_uow=lambda: FakeUnitOfWork(store),
        rules=RULES,
        payments_enabled=False,
        payments_setting="ORDERPULSE_PAYMENTS_ENABLED",
        clock=lambda: NOW,
    )
    with pytest.raises(PaymentsNotConfigured) as refused:
        await handlers.place_order(off, placing(payment_status="pending"), idempotency=None, reply=answer)

    assert refused.value.setting == "ORDERPULSE_PAYMENTS_ENABLED"
    assert "ORDERPULSE_PAYMENTS_ENABLED=true" in refused.value.detail
