"""Counting stock: a count below what is reserved is shrinkage, taken from the youngest orders first."""

import pytest
from fulfillment_svc.domain.counting import count_stock
from fulfillment_svc.domain.errors import StockBelowPacked
from fulfillment_svc.domain.events import InventoryAdjusted, InventoryBackordered


def two_orders(build, on_hand=5):
    stock = build.stock(MUG=on_hand)
    older = build.fulfillment(build.order("ord_a", MUG=3), stock=stock, fulfillment_id="ful_a", at=build.at(hours=1))
    younger = build.fulfillment(build.order("ord_b", MUG=2), stock=stock, fulfillment_id="ful_b", at=build.at(hours=2))
    return stock["MUG"], older, younger


def test_a_count_at_or_above_what_is_reserved_is_a_plain_count(build):
    stock, older, younger = two_orders(build, on_hand=8)
    adjusted = count_stock(stock, 6, [older, younger], occurred_at=build.at(hours=3)).adjusted
    assert adjusted == InventoryAdjusted(build.at(hours=3), build.warehouse, "MUG", 8, 6, "count")
    assert (older.events, younger.events) == ([], [])


def test_an_unchanged_count_publishes_nothing(build):
    stock, older, younger = two_orders(build)
    assert count_stock(stock, 5, [older, younger], occurred_at=build.at(hours=3)).adjusted is None


def test_shrinkage_backorders_the_youngest_reservations_first(build):
    stock, older, younger = two_orders(build)
    counted = count_stock(stock, 2, [older, younger], occurred_at=build.at(hours=3))
    assert counted.backordered == [(younger, 2), (older, 1)]
    adjusted = counted.adjusted
    assert adjusted.reason == "shrinkage" and (adjusted.on_hand_before, adjusted.on_hand_after) == (5, 2)
    assert (stock.on_hand, stock.reserved) == (2, 2)
    assert (younger.reserved, younger.backordered) == ({}, {"MUG": 2})
    assert (older.reserved, older.backordered) == ({"MUG": 2}, {"MUG": 1})
    assert younger.events == [InventoryBackordered(build.at(hours=3), "ord_b", build.warehouse, "MUG", 2)]
    assert older.events == [InventoryBackordered(build.at(hours=3), "ord_a", build.warehouse, "MUG", 1)]


def test_packed_units_are_kept_and_a_count_below_them_is_refused(build):
    stock, older, younger = two_orders(build)
    build.pack(younger, MUG=2)
    count_stock(stock, 2, [older, younger], occurred_at=build.at(hours=3))
    assert younger.reserved == {"MUG": 2} and older.reserved == {}  # the packed box is not lost
    with pytest.raises(StockBelowPacked) as refused:
        count_stock(stock, 1, [older, younger], occurred_at=build.at(hours=4))
    assert refused.value.field == "on_hand" and stock.on_hand == 2
