"""Returns: only delivered units, never more than delivered, refund or exchange, reasons per events.md."""

import pytest
from order_builders import LATER, confirmed_order, deliver, delivered_order, dispatch, fresh, last, returning, types
from order_svc.domain import events as ev
from order_svc.domain.errors import InvalidInput, ReturnExceedsDelivered, ReturnNotAllowed
from order_svc.domain.values import ReturnKind, ReturnReason, SkuQuantity


def test_a_delivered_line_can_be_returned_for_a_refund():
    order = fresh(delivered_order())
    request = order.request_return(returning(("MUG-1", 1), reason="damaged", kind="refund"), LATER)
    assert request.return_id == "ret_1_1"
    assert (request.reason, request.kind) == (ReturnReason.DAMAGED, ReturnKind.REFUND)
    assert types(order) == ["return.requested.v1"]
    assert last(order, ev.ReturnRequested).to_data() == {
        "order_id": "ord_1",
        "return_id": "ret_1_1",
        "lines": [{"sku": "MUG-1", "quantity": 1}],
        "reason": "damaged",
        "kind": "refund",
    }


def test_an_exchange_is_a_return_kind_too():
    order = delivered_order()
    assert order.request_return(returning(("TEE-1", 1), kind="exchange"), LATER).kind is ReturnKind.EXCHANGE


@pytest.mark.parametrize("reason", [reason.value for reason in ReturnReason])
def test_every_reason_in_the_catalog_is_accepted(reason):
    order = delivered_order()
    assert order.request_return(returning(("MUG-1", 1), reason=reason), LATER).reason == reason


def test_more_than_was_delivered_is_refused_naming_the_line():
    order = fresh(delivered_order())
    with pytest.raises(ReturnExceedsDelivered) as refused:
        order.request_return(returning(("TEE-1", 1), ("MUG-1", 3)), LATER)
    assert refused.value.field == "lines[1].quantity"
    assert order.events == [] and order.returns == []


def test_returns_add_up_against_what_was_delivered():
    order = delivered_order()
    order.request_return(returning(("MUG-1", 1)), LATER)
    order.request_return(returning(("MUG-1", 1)), LATER)
    with pytest.raises(ReturnExceedsDelivered):
        order.request_return(returning(("MUG-1", 1)), LATER)
    assert [request.return_id for request in order.returns] == ["ret_1_1", "ret_1_2"]


def test_a_sku_that_was_never_delivered_cannot_be_returned():
    order = delivered_order()
    with pytest.raises(ReturnExceedsDelivered):
        order.request_return(returning(("SOCK-1", 1)), LATER)


def test_only_the_delivered_shipment_of_a_partly_delivered_order_can_be_returned():
    order = confirmed_order()
    dispatch(order, "shp_1", lines=(("MUG-1", 2),))
    dispatch(order, "shp_2", lines=(("TEE-1", 1),))
    deliver(order, "shp_1", lines=(("MUG-1", 2),))
    assert order.request_return(returning(("MUG-1", 2)), LATER).lines == (SkuQuantity("MUG-1", 2),)
    with pytest.raises(ReturnExceedsDelivered):
        order.request_return(returning(("TEE-1", 1)), LATER)


def test_a_shipped_order_with_nothing_delivered_yet_has_nothing_to_return():
    order = confirmed_order()
    dispatch(order)
    with pytest.raises(ReturnExceedsDelivered):
        order.request_return(returning(("MUG-1", 1)), LATER)


def test_an_order_not_yet_shipped_cannot_have_a_return():
    order = confirmed_order()
    with pytest.raises(ReturnNotAllowed) as refused:
        order.request_return(returning(("MUG-1", 1)), LATER)
    assert refused.value.http_status == 409


def test_delivered_quantities_from_fulfillment_completed_count_too():
    order = confirmed_order()
    dispatch(order)
    order.apply_fulfillment_fact(
        "fulfillment.completed.v1", LATER, lines=[{"sku": "MUG-1", "quantity": 2}, {"sku": "TEE-1", "quantity": 1}]
    )
    assert order.request_return(returning(("TEE-1", 1)), LATER).return_id == "ret_1_1"


def test_repeated_skus_in_one_request_are_added_together():
    order = delivered_order()
    with pytest.raises(ReturnExceedsDelivered):
        order.request_return(returning(("MUG-1", 2), ("MUG-1", 1)), LATER)


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (returning(("MUG-1", 1), reason="bored"), "reason"),
        (returning(("MUG-1", 1), kind="store_credit"), "kind"),
        (returning(), "lines"),
        (returning(("MUG-1", 0)), "lines[0].quantity"),
    ],
)
def test_malformed_return_requests_are_refused(command, field):
    order = delivered_order()
    with pytest.raises(InvalidInput) as refused:
        order.request_return(command, LATER)
    assert refused.value.field == field
