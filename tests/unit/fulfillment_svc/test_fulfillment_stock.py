import contextlib

import pytest
from fulfillment_svc.domain.errors import FulfillmentError, InvalidQuantity, StockBelowReserved
from fulfillment_svc.domain.stock import Stock, plan_reservation, reserve_stock, reserve_wanted
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


def test_a_reservation_plan_reports_what_is_short_per_sku():
    plan = plan_reservation({"MUG": 3, "TEE": 0}, {"MUG": 5, "TEE": 1, "CAP": 2})

    assert dict(plan.reserved) == {"MUG": 3, "TEE": 0, "CAP": 0}
    assert dict(plan.short) == {"MUG": 2, "TEE": 1, "CAP": 2}


def test_a_reservation_plan_within_stock_is_not_short():
    plan = plan_reservation({"MUG": 9}, {"MUG": 9})

    assert dict(plan.reserved) == {"MUG": 9}
    assert dict(plan.short) == {}


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


# --- opening's one pass equals the plan and its application (fulcons6) -----------------------------

_rows = st.dictionaries(
    st.sampled_from(["MUG", "TEE", "CAP", "LID"]),
    st.tuples(st.sampled_from(["wh_a", "wh_b"]), st.integers(0, 6), st.integers(0, 6)),
    max_size=4,
)


@settings(max_examples=500, deadline=None)
@given(_rows, st.dictionaries(st.sampled_from(["MUG", "TEE", "CAP", "LID", "PEN"]), st.integers(1, 8), min_size=1, max_size=4))
def test_reserving_what_is_wanted_in_one_pass_is_the_plan_applied(rows, wanted):
    def built() -> dict[str, Stock]:
        return {sku: Stock(w, sku, on_hand=max(a, b), reserved=min(a, b)) for sku, (w, a, b) in rows.items()}

    planned = built()
    in_warehouse = {sku: row for sku, row in planned.items() if sku in wanted and row.warehouse_id == "wh_a"}
    plan = plan_reservation({sku: row.available for sku, row in in_warehouse.items()}, wanted)
    reserve_stock(in_warehouse, plan)

    one_pass = built()
    reserved, short = reserve_wanted(one_pass, wanted, "wh_a")

    assert reserved == {sku: quantity for sku, quantity in plan.reserved.items() if quantity}
    assert short == dict(plan.short)
    assert list(short) == list(plan.short)
    assert {sku: (r.on_hand, r.reserved) for sku, r in one_pass.items()} == {
        sku: (r.on_hand, r.reserved) for sku, r in planned.items()}
