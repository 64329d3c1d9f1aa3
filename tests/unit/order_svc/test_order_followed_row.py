"""Property: writing back only the followed columns (`followed_row`) leaves an order's `orders` row
exactly as writing the whole row (`rows.order_row`) would, after any sequence of fulfillment facts
(in any order, repeated, across batches), corrections before and after the warehouse answered (so
restores, outcomes changed in place), payments and cancellations; and it gives None whenever
another column changed."""

from dataclasses import fields, replace
from datetime import timedelta
from decimal import Decimal

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from order_builders import (
    CATALOG,
    HOME,
    LATER,
    cancelling,
    confirmed_order,
    correcting,
    held_for_price,
    line,
    paying,
    pending_order,
)
from order_svc.adapters import rows
from order_svc.adapters.followed_row import FOLLOWED_COLUMNS, REST_ATTRIBUTES, StoredRow, followed_row
from order_svc.domain.errors import DomainError
from order_svc.domain.model import Order

MUGS = [{"sku": "MUG-1", "quantity": 2}]
TEE = [{"sku": "TEE-1", "quantity": 1}]
FACTS = [
    ("fulfillment.created.v1", {}),
    ("fulfillment.packed.v1", {"shipment_id": "shp_1"}),
    ("shipment.dispatched.v1", {"shipment_id": "shp_1", "lines": MUGS, "carrier": "ups", "tracking_number": "1Z1"}),
    ("shipment.dispatched.v1", {"shipment_id": "shp_2", "lines": TEE, "carrier": "dhl"}),
    ("shipment.in_transit.v1", {"shipment_id": "shp_1", "carrier": "ups"}),
    ("shipment.delivered.v1", {"shipment_id": "shp_1", "lines": MUGS, "condition": "intact"}),
    ("shipment.delivered.v1", {"shipment_id": "shp_2", "lines": TEE}),
    ("fulfillment.completed.v1", {"lines": MUGS + TEE, "closed_short": False}),
    ("fulfillment.completed.v1", {"lines": MUGS, "closed_short": True}),
    ("return.received.v1", {}),
]
OTHERS = [
    lambda order, at: order.correct(correcting(ship_to=replace(HOME, city="Brooklyn")), CATALOG, at),
    lambda order, at: order.correct(correcting(lines=(line("MUG-1", 3), line("TEE-1", 1, "20.00"))), CATALOG, at),
    lambda order, at: order.correct(correcting(lines=(line("MUG-1", 2), line("TEE-1", 1, "20.00"))), CATALOG, at),
    lambda order, at: order.record_payment(paying(amount=order.total), at),
    lambda order, at: order.record_payment(paying("failed", reference="pay_2"), at),
    lambda order, at: order.cancel(cancelling(), at),
]
STARTS = [confirmed_order, pending_order, held_for_price]
STEP = st.one_of(
    st.tuples(st.just("fact"), st.integers(0, len(FACTS) - 1), st.integers(-90, 90)),
    st.tuples(st.just("other"), st.integers(0, len(OTHERS) - 1), st.integers(-90, 90)),
)


def as_stored(row: dict) -> dict:
    """A row as PostgreSQL keeps it: JSON values, money as text (as `BulkUpdate.json_rows` sends it)."""
    return orjson.loads(orjson.dumps(row, default=lambda value: str(value) if isinstance(value, Decimal) else None,
                                     option=orjson.OPT_NAIVE_UTC))


def apply(order, step) -> None:
    kind, index, minutes = step
    at = LATER + timedelta(minutes=minutes)
    try:
        if kind == "fact":
            fact, details = FACTS[index]
            order.apply_fulfillment_fact(fact, at, **details)
        else:
            OTHERS[index](order, at)
    except DomainError:
        pass  # refused: nothing changed


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(STARTS), st.lists(st.lists(STEP, max_size=4), max_size=8))
def test_the_followed_columns_leave_the_same_row_as_the_whole_row(start, batches):
    written_as_whole_rows(start(), batches)


def test_confirmations_answered_one_batch_at_a_time_keep_their_own_json():
    """Three confirmations await (the order's, then two corrections'); each fulfillment.created
    moves the oldest to applied, the others stay awaiting: each keeps the JSON it was read with."""
    created = ("fact", 0, 5)
    written_as_whole_rows(confirmed_order(), [[("other", 0, 1), ("other", 1, 2)], [created], [created], [created]])


def written_as_whole_rows(order, batches) -> None:
    stored_row = as_stored(rows.order_row(order))  # as read from the table
    stored = StoredRow.of(order, stored_row)
    for batch in batches:
        for step in batch:
            apply(order, step)
        whole = as_stored(rows.order_row(order))
        followed = followed_row(order, stored)
        if followed is None:
            written = rows.order_row(order)
        else:
            assert set(followed) == set(FOLLOWED_COLUMNS)
            written = followed
        stored_row = {**stored_row, **as_stored(written)}
        assert stored_row == whole
        stored = StoredRow.of(order, written)


def test_a_fact_alone_writes_only_the_followed_columns_and_reuses_what_was_read():
    order = confirmed_order()
    order.apply_fulfillment_fact("fulfillment.created.v1", LATER)
    read = as_stored(rows.order_row(order))
    stored = StoredRow.of(order, read)
    order.apply_fulfillment_fact("shipment.dispatched.v1", LATER, shipment_id="shp_1", lines=MUGS + TEE)
    followed = followed_row(order, stored)
    assert followed is not None
    assert followed["warehouse_copy"] is read["warehouse_copy"]  # not built again
    assert followed["status"] == "shipped"


def test_any_change_outside_the_followed_columns_asks_for_the_whole_row():
    order = confirmed_order()
    stored = StoredRow.of(order, as_stored(rows.order_row(order)))
    order.ship_to = replace(order.ship_to)  # equal, but another object: not proven unchanged
    assert followed_row(order, stored) is None


def test_every_attribute_of_an_order_is_guarded_followed_or_kept_beneath_it():
    followed = {"status", "version", "fulfillment", "confirmations", "corrections"}
    beneath = {"invoices", "returns", "events"}  # their own tables (or none), written apart
    assert {f.name for f in fields(Order)} == set(REST_ATTRIBUTES) | followed | beneath
