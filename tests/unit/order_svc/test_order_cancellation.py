"""Cancelling: allowed until anything is dispatched; a second cancel changes nothing."""

from datetime import timedelta

import pytest
from order_builders import (
    LATER,
    NOW,
    cancelling,
    confirmed_order,
    deliver,
    dispatch,
    held_for_price,
    last,
    pending_order,
    types,
)
from order_svc.domain import events as ev
from order_svc.domain.errors import CannotCancelDispatched, InvalidInput
from order_svc.domain.status import OrderStatus


@pytest.mark.parametrize("build", [held_for_price, pending_order, confirmed_order])
def test_an_order_not_yet_dispatched_can_be_cancelled(build):
    order = build()
    order.cancel(cancelling(), LATER)
    assert order.status is OrderStatus.CANCELLED
    assert types(order) == ["order.cancelled.v1"]


def test_an_order_in_fulfillment_can_still_be_cancelled():
    order = confirmed_order()
    order.apply_fulfillment_fact("fulfillment.created.v1", LATER)
    order.cancel(cancelling(), LATER)
    assert order.status is OrderStatus.CANCELLED


def test_the_cancellation_records_reason_and_who_cancelled():
    order = confirmed_order()
    order.cancel(cancelling(reason="duplicate order", cancelled_by="storefront"), LATER)
    assert last(order, ev.OrderCancelled).to_data() == {
        "order_id": "ord_1",
        "reason": "duplicate order",
        "cancelled_by": "storefront",
    }
    assert (order.cancel_reason, order.cancelled_at) == ("duplicate order", LATER)


def test_cancel_after_a_partial_dispatch_is_refused():
    order = confirmed_order()
    dispatch(order, lines=(("MUG-1", 1),))
    with pytest.raises(CannotCancelDispatched) as refused:
        order.cancel(cancelling(), LATER)
    assert refused.value.code == "cannot_cancel_dispatched"
    assert refused.value.http_status == 409
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    assert order.events == []


def test_cancel_after_dispatch_is_refused():
    order = confirmed_order()
    dispatch(order)
    with pytest.raises(CannotCancelDispatched):
        order.cancel(cancelling(), LATER)


def test_cancel_after_delivery_is_refused():
    order = confirmed_order()
    dispatch(order)
    deliver(order)
    with pytest.raises(CannotCancelDispatched):
        order.cancel(cancelling(), LATER)


def test_cancelling_a_cancelled_order_changes_nothing():
    order = confirmed_order()
    order.cancel(cancelling(), LATER)
    order.cancel(cancelling(reason="again"), LATER + timedelta(minutes=1))
    assert types(order) == ["order.cancelled.v1"]
    assert order.cancel_reason == "changed mind"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"cancelled_by": ""}, "cancelled_by"),
        ({"occurred_at": NOW - timedelta(minutes=1)}, "occurred_at"),
        ({"occurred_at": LATER + timedelta(minutes=6)}, "occurred_at"),
    ],
)
def test_malformed_cancellations_are_refused(changes, field):
    order = confirmed_order()
    with pytest.raises(InvalidInput) as refused:
        order.cancel(cancelling(**changes), LATER)
    assert refused.value.field == field
    assert order.status is OrderStatus.CONFIRMED
