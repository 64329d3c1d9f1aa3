from decimal import Decimal

import pytest
from fulfillment_svc.domain.errors import (
    InvalidAmount,
    InvalidReturn,
    InvalidShift,
    InvalidTime,
    ReturnAlreadyReceived,
    ReturnExceedsShipped,
    SkuNotOnOrder,
)
from fulfillment_svc.domain.labor import labor_hours, record_shift
from fulfillment_svc.domain.returns import receive_return, restockable


def shift(build, **changes):
    arguments = {
        "warehouse_id": build.warehouse,
        "shift_id": "shift_1",
        "start": build.at(hours=0),
        "end": build.at(hours=8),
        "staff": 6,
        "hourly_cost": "21.50",
    }
    return record_shift(**(arguments | changes))


def test_a_labor_shift_is_recorded_keyed_by_its_warehouse_at_its_end(build):
    recorded = shift(build)

    assert recorded.type == "labor.shift_recorded.v1"
    assert recorded.key == build.warehouse
    assert recorded.occurred_at == build.at(hours=8)
    assert recorded.to_data() == {
        "warehouse_id": build.warehouse,
        "shift_id": "shift_1",
        "start": "2026-11-20T09:00:00.000Z",
        "end": "2026-11-20T17:00:00.000Z",
        "staff": 6,
        "hourly_cost": "21.50",
    }
    assert labor_hours(recorded) == Decimal(48)


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        (lambda b: {"end": b.at(hours=0)}, InvalidShift, "end"),
        (lambda b: {"end": b.at(hours=-1)}, InvalidShift, "end"),
        (lambda b: {"end": b.at(hours=25)}, InvalidShift, "end"),
        (lambda b: {"staff": 0}, InvalidShift, "staff"),
        (lambda b: {"hourly_cost": "-3"}, InvalidAmount, "hourly_cost"),
        (lambda b: {"start": b.at(hours=0).replace(tzinfo=None)}, InvalidTime, "start"),
    ],
)
def test_an_impossible_shift_is_refused_naming_the_field(build, changes, error, field):
    with pytest.raises(error) as refused:
        shift(build, **changes(build))

    assert refused.value.field == field


@pytest.fixture
def delivered(build):
    stock = build.stock(MUG=5, TEE=5)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.ship(fulfillment, stock, tracking_number="T1", MUG=2, TEE=1)
    fulfillment.record_scan("dhl", build.scan("e1", "delivered", hours=40, tracking_number="T1", condition="intact"))
    fulfillment.events.clear()
    return fulfillment


def test_a_received_return_is_announced_with_the_order_lines_it_returns(build, delivered):
    received = receive_return(
        delivered, return_id="ret_1", lines=build.lines(MUG=1), condition="damaged", occurred_at=build.at(days=4)
    )

    assert delivered.events == [received]
    assert received.type == "return.received.v1"
    assert received.to_data() == {
        "order_id": "ord_1",
        "return_id": "ret_1",
        "lines": [{"line_id": "ord_1_l1", "sku": "MUG", "quantity": 1, "unit_price": "12.50"}],
        "condition": "damaged",
    }
    assert delivered.returned == {"MUG": 1}


def test_only_intact_returns_go_back_on_the_shelf():
    assert restockable("intact", {"MUG": 2}) == {"MUG": 2}
    assert restockable("damaged", {"MUG": 2}) == {}


def test_returning_more_than_was_shipped_is_refused(build, delivered):
    receive_return(
        delivered, return_id="ret_1", lines=build.lines(MUG=2), condition="intact", occurred_at=build.at(days=4)
    )

    with pytest.raises(ReturnExceedsShipped):
        receive_return(
            delivered, return_id="ret_2", lines=build.lines(MUG=1), condition="intact", occurred_at=build.at(days=5)
        )


def test_the_same_return_cannot_be_received_twice(build, delivered):
    receive_return(
        delivered, return_id="ret_1", lines=build.lines(TEE=1), condition="intact", occurred_at=build.at(days=4)
    )

    with pytest.raises(ReturnAlreadyReceived):
        receive_return(
            delivered, return_id="ret_1", lines=build.lines(MUG=1), condition="intact", occurred_at=build.at(days=4)
        )


@pytest.mark.parametrize(
    ("lines", "condition", "error"),
    [
        ({"CAP": 1}, "intact", SkuNotOnOrder),
        ({}, "intact", InvalidReturn),
        ({"MUG": 1}, "like new", InvalidReturn),
    ],
)
def test_a_return_of_something_never_ordered_or_in_no_known_condition_is_refused(
    build, delivered, lines, condition, error
):
    with pytest.raises(error):
        receive_return(
            delivered, return_id="ret_1", lines=build.lines(**lines), condition=condition, occurred_at=build.at(days=4)
        )
