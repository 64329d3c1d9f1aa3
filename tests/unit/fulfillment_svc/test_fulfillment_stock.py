import contextlib

import pytest
from fulfillment_svc.domain.errors import FulfillmentError, InvalidQuantity, StockBelowReserved
from fulfillment_svc.domain.stock import Stock, reserve_wanted
from hypothesis import given, settings
from hypothesis import strategies as st


def test_available_is_on_hand_minus_reserved():
    stock = Stock("wh", "MUG", on_hand=10, reserved=4)

    assert stock.available == 6


def test_reserving_more_than_is_available_reserves_what_is_there():
    stock = Stock("wh", "MUG", on_hand=5, reserved=3)

    granted = stock.reserve(4)

    assert granted == 2
    assert (stock.on_hand, stock.reserved, stock.available) == (5, 5, 0)


def test_reserving_what_an_order_wants_reports_what_is_short_per_sku():
    rows = {"MUG": Stock("wh", "MUG", on_hand=3), "TEE": Stock("wh", "TEE", on_hand=2, reserved=2)}

    reserved, short = reserve_wanted(rows, {"MUG": 5, "TEE": 1, "CAP": 2}, "wh")

    assert reserved == {"MUG": 3}
    assert short == {"MUG": 2, "TEE": 1, "CAP": 2}
    assert (rows["MUG"].reserved, rows["TEE"].reserved) == (3, 2)


def test_reserving_within_stock_is_not_short():
    rows = {"MUG": Stock("wh", "MUG", on_hand=9)}

    assert reserve_wanted(rows, {"MUG": 9}, "wh") == ({"MUG": 9}, {})


def test_another_warehouses_row_reserves_nothing():
    rows = {"MUG": Stock("wh_b", "MUG", on_hand=9)}

    assert reserve_wanted(rows, {"MUG": 2}, "wh_a") == ({}, {"MUG": 2})
    assert rows["MUG"].reserved == 0


def test_setting_on_hand_below_what_is_reserved_is_refused():
    stock = Stock("wh", "MUG", on_hand=10, reserved=6)

    with pytest.raises(StockBelowReserved) as refused:
        stock.set_on_hand(5)

    assert refused.value.field == "on_hand"
    assert stock.on_hand == 10


def test_setting_a_negative_count_is_refused():
    with pytest.raises(InvalidQuantity):
        Stock("wh", "MUG", on_hand=3).set_on_hand(-1)


def test_shipping_takes_the_units_from_on_hand_and_from_reserved():
    stock = Stock("wh", "MUG", on_hand=10, reserved=6)

    stock.ship(4)

    assert (stock.on_hand, stock.reserved, stock.available) == (6, 2, 4)


def test_shipping_or_releasing_more_than_is_reserved_is_refused():
    stock = Stock("wh", "MUG", on_hand=10, reserved=2)

    with pytest.raises(StockBelowReserved):
        stock.ship(3)
    with pytest.raises(StockBelowReserved):
        stock.release(3)
    assert (stock.on_hand, stock.reserved) == (10, 2)


def test_stock_cannot_be_built_with_more_reserved_than_on_hand():
    with pytest.raises(StockBelowReserved):
        Stock("wh", "MUG", on_hand=1, reserved=2)


operations = st.lists(
    st.tuples(st.sampled_from(["set_on_hand", "add", "reserve", "release", "ship"]), st.integers(-3, 12)),
    max_size=40,
)


@given(operations)
def test_no_sequence_of_operations_takes_stock_below_zero(steps):
    stock = Stock("wh", "MUG", on_hand=5)
    for name, amount in steps:
        with contextlib.suppress(FulfillmentError):
            getattr(stock, name)(amount)
        assert 0 <= stock.reserved <= stock.on_hand
        assert stock.available >= 0


# --- what an order reserves: what is available in its warehouse, the rest short ------------------

_rows = st.dictionaries(
    st.sampled_from(["MUG", "TEE", "CAP", "LID"]),
    st.tuples(st.sampled_from(["wh_a", "wh_b"]), st.integers(0, 6), st.integers(0, 6)),
    max_size=4,
)


@settings(max_examples=500, deadline=None)
@given(_rows, st.dictionaries(st.sampled_from(["MUG", "TEE", "CAP", "LID", "PEN"]), st.integers(1, 8), min_size=1, max_size=4))
def test_each_wanted_sku_gets_what_its_row_in_the_warehouse_has_available_and_the_rest_is_short(rows, wanted):
    stock = {sku: Stock(w, sku, on_hand=max(a, b), reserved=min(a, b)) for sku, (w, a, b) in rows.items()}
    before = {sku: (row.on_hand, row.reserved) for sku, row in stock.items()}

    reserved, short = reserve_wanted(stock, wanted, "wh_a")

    for sku, quantity in wanted.items():
        row = rows.get(sku)
        available = max(row[1], row[2]) - min(row[1], row[2]) if row is not None and row[0] == "wh_a" else 0
        got = min(quantity, available)
        assert reserved.get(sku, 0) == got and (sku in reserved) == (got > 0)
        assert short.get(sku, 0) == quantity - got and (sku in short) == (quantity > got)
    assert list(short) == [sku for sku in wanted if sku in short]
    assert {sku: (row.on_hand, row.reserved) for sku, row in stock.items()} == {
        sku: (on_hand, held + reserved.get(sku, 0)) for sku, (on_hand, held) in before.items()}
