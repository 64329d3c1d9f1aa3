from decimal import Decimal

import pytest
from fulfillment_svc.domain.errors import InvalidOrder, InvalidQuantity, InvalidTime
from fulfillment_svc.domain.events import FulfillmentCreated, InventoryBackordered
from fulfillment_svc.domain.opening import open_fulfillment
from fulfillment_svc.domain.orders import ConfirmedOrder

ORDER_CONFIRMED = {
    "order_id": "ord_7",
    "lines": [
        {"line_id": "l1", "sku": "MUG", "quantity": 3, "unit_price": "12.50"},
        {"line_id": "l2", "sku": "TEE", "quantity": 1, "unit_price": "20.00"},
    ],
    "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"},
    "service_level": "express",
    "promised_by": "2026-11-24T23:59:59.999Z",
}


def open_from(build, data, stock):
    return open_fulfillment(
        ConfirmedOrder.from_data(data),
        fulfillment_id="ful_7",
        warehouse_id=build.warehouse,
        ship_deadline=build.at(days=2),
        occurred_at=build.t0,
        stock_by_sku=stock,
    )


def test_a_confirmed_order_in_stock_opens_a_fulfillment_and_reserves_its_units(build):
    stock = build.stock(MUG=10, TEE=5)

    fulfillment = open_from(build, ORDER_CONFIRMED, stock)

    assert fulfillment.status == "open"
    assert fulfillment.reserved == {"MUG": 3, "TEE": 1}
    assert fulfillment.backordered == {}
    assert (stock["MUG"].reserved, stock["TEE"].reserved) == (3, 1)
    [created] = fulfillment.events
    assert isinstance(created, FulfillmentCreated)
    assert created.to_data() == {
        "fulfillment_id": "ful_7",
        "order_id": "ord_7",
        "warehouse_id": build.warehouse,
        "lines": ORDER_CONFIRMED["lines"],
    }


def test_what_is_short_is_backordered_and_announced_per_sku(build):
    stock = build.stock(MUG=1)

    fulfillment = open_from(build, ORDER_CONFIRMED, stock)

    assert fulfillment.reserved == {"MUG": 1}
    assert fulfillment.backordered == {"MUG": 2, "TEE": 1}
    backordered = [e.to_data() for e in fulfillment.events if isinstance(e, InventoryBackordered)]
    assert backordered == [
        {"order_id": "ord_7", "warehouse_id": build.warehouse, "sku": "MUG", "quantity_short": 2},
        {"order_id": "ord_7", "warehouse_id": build.warehouse, "sku": "TEE", "quantity_short": 1},
    ]
    assert (stock["MUG"].on_hand, stock["MUG"].reserved, stock["MUG"].available) == (1, 1, 0)


def test_orders_competing_for_scarce_stock_never_take_it_below_zero(build):
    stock = build.stock(MUG=5)
    reserved = []
    for n in range(4):
        order = build.order(f"ord_{n}", MUG=2)
        fulfillment = build.fulfillment(order, stock=stock, fulfillment_id=f"ful_{n}")
        reserved.append(fulfillment.reserved.get("MUG", 0))

    assert reserved == [2, 2, 1, 0]
    assert (stock["MUG"].reserved, stock["MUG"].available) == (5, 0)


def test_lines_of_the_same_sku_are_reserved_together(build):
    data = dict(
        ORDER_CONFIRMED,
        lines=[
            {"line_id": "l1", "sku": "MUG", "quantity": 2, "unit_price": "12.50"},
            {"line_id": "l2", "sku": "MUG", "quantity": 2, "unit_price": "12.50"},
        ],
    )

    fulfillment = open_from(build, data, build.stock(MUG=3))

    assert fulfillment.reserved == {"MUG": 3}
    assert fulfillment.backordered == {"MUG": 1}


def test_order_confirmed_data_is_read_with_its_times_and_prices(build):
    order = ConfirmedOrder.from_data(ORDER_CONFIRMED)

    assert order.promised_by.isoformat() == "2026-11-24T23:59:59.999000+00:00"
    assert order.lines[0].unit_price == Decimal("12.50")
    assert order.service_level == "express"


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"lines": []}, InvalidOrder, "lines"),
        (
            {"lines": [{"line_id": "l1", "sku": "MUG", "quantity": 0, "unit_price": "1"}]},
            InvalidQuantity,
            "lines.quantity",
        ),
        ({"promised_by": "next tuesday"}, InvalidOrder, "promised_by"),
        ({"promised_by": "2026-11-24T23:59:59"}, InvalidTime, "promised_by"),
        ({"lines": [ORDER_CONFIRMED["lines"][0], ORDER_CONFIRMED["lines"][0]]}, InvalidOrder, "lines.line_id"),
    ],
)
def test_malformed_order_data_is_refused_naming_the_field(change, error, field):
    with pytest.raises(error) as refused:
        ConfirmedOrder.from_data(dict(ORDER_CONFIRMED, **change))

    assert refused.value.field == field
