from datetime import UTC, datetime, timedelta

from fulfillment_svc.domain.backorders import Allocation, Backorder, allocate_backorders, fill_backorders, owed_now
from fulfillment_svc.domain.stock import Stock
from hypothesis import given
from hypothesis import strategies as st

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)


def backorder(fulfillment_id, owed, minutes):
    return Backorder(fulfillment_id, "MUG", owed, T0 + timedelta(minutes=minutes))


def test_the_oldest_backorder_is_filled_first():
    owed = [backorder("young", 2, minutes=30), backorder("old", 2, minutes=0)]

    assert allocate_backorders(2, owed) == (Allocation("old", "MUG", 2),)


def test_the_oldest_takes_what_it_can_and_the_rest_goes_to_the_next():
    owed = [backorder("a", 3, minutes=0), backorder("b", 3, minutes=1), backorder("c", 3, minutes=2)]

    assert allocate_backorders(5, owed) == (Allocation("a", "MUG", 3), Allocation("b", "MUG", 2))


def test_a_partial_fill_goes_to_the_oldest_rather_than_to_a_younger_order_it_would_complete():
    owed = [backorder("old", 5, minutes=0), backorder("young", 1, minutes=1)]

    assert allocate_backorders(1, owed) == (Allocation("old", "MUG", 1),)


def test_nothing_available_allocates_nothing():
    assert allocate_backorders(0, [backorder("a", 1, minutes=0)]) == ()
    assert allocate_backorders(-2, [backorder("a", 1, minutes=0)]) == ()


def test_backorders_of_the_same_moment_are_served_by_fulfillment_id():
    owed = [backorder("b", 1, minutes=0), backorder("a", 1, minutes=0)]

    assert allocate_backorders(1, owed) == (Allocation("a", "MUG", 1),)


@given(
    available=st.integers(0, 30),
    owed=st.lists(st.tuples(st.integers(1, 8), st.integers(0, 100)), max_size=8),
)
def test_allocation_never_gives_more_than_is_available_or_owed_and_never_skips_an_older_order(available, owed):
    backorders = [backorder(f"f{n}", quantity, minutes) for n, (quantity, minutes) in enumerate(owed)]

    allocations = allocate_backorders(available, backorders)

    given_to = {a.fulfillment_id: a.quantity for a in allocations}
    assert sum(given_to.values()) == min(available, sum(b.quantity_owed for b in backorders))
    oldest_first = sorted(backorders, key=lambda b: (b.since, b.fulfillment_id))
    for older, younger in zip(oldest_first, oldest_first[1:], strict=False):
        assert given_to.get(older.fulfillment_id, 0) <= older.quantity_owed
        if given_to.get(younger.fulfillment_id, 0):
            assert given_to.get(older.fulfillment_id, 0) == older.quantity_owed


def test_new_stock_is_reserved_for_the_fulfillments_that_are_owed_it_oldest_first(build):
    stock = build.stock(MUG=0)
    older = build.fulfillment(build.order("ord_a", MUG=2), stock=stock, fulfillment_id="ful_a", at=build.at(hours=1))
    younger = build.fulfillment(build.order("ord_b", MUG=2), stock=stock, fulfillment_id="ful_b", at=build.at(hours=2))

    stock["MUG"].set_on_hand(3)
    allocations = fill_backorders(stock["MUG"], [younger, older])

    assert allocations == (Allocation("ful_a", "MUG", 2), Allocation("ful_b", "MUG", 1))
    assert (older.reserved, older.backordered) == ({"MUG": 2}, {})
    assert (younger.reserved, younger.backordered) == ({"MUG": 1}, {"MUG": 1})
    assert (stock["MUG"].on_hand, stock["MUG"].reserved, stock["MUG"].available) == (3, 3, 0)


def test_cancelled_or_closed_fulfillments_are_owed_nothing(build):
    stock = build.stock(MUG=0)
    cancelled = build.fulfillment(build.order("ord_a", MUG=2), stock=stock, fulfillment_id="ful_a")
    cancelled.cancel(reason="customer", occurred_at=build.at(hours=1), stock_by_sku=stock)

    stock["MUG"].add(5)

    assert fill_backorders(stock["MUG"], [cancelled]) == ()
    assert stock["MUG"].available == 5


def test_stock_of_another_warehouse_does_not_fill_a_backorder(build):
    stock = build.stock(MUG=0)
    fulfillment = build.fulfillment(build.order("ord_a", MUG=2), stock=stock)

    assert fill_backorders(Stock("wh_elsewhere", "MUG", on_hand=9), [fulfillment]) == ()
    assert fulfillment.backordered == {"MUG": 2}


def test_a_backorder_ships_later_as_another_shipment_and_the_order_completes_after_both(build):
    stock = build.stock(MUG=1, TEE=1)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.ship(fulfillment, stock, "shp_1", tracking_number="T1", hours=2, MUG=1, TEE=1)
    assert fulfillment.status == "partially_dispatched"

    stock["MUG"].add(4)
    fill_backorders(stock["MUG"], [fulfillment])
    build.ship(fulfillment, stock, "shp_2", tracking_number="T2", hours=30, MUG=1)
    assert fulfillment.status == "dispatched"

    fulfillment.record_scan("dhl", build.scan("e1", "delivered", hours=40, tracking_number="T1", condition="intact"))
    assert not fulfillment.is_completed
    fulfillment.record_scan("dhl", build.scan("e2", "delivered", hours=50, tracking_number="T2", condition="intact"))

    completed = fulfillment.events[-1]
    assert completed.type == "fulfillment.completed.v1"
    assert completed.to_data()["shipments"] == 2
    assert (stock["MUG"].on_hand, stock["MUG"].reserved) == (3, 0)


class Loaded:
    """A fulfillment as loaded and changed in memory: all owed_now reads of it."""

    def __init__(self, fulfillment_id, warehouse_id, owes=None):
        self.fulfillment_id, self.warehouse_id, self._owes = fulfillment_id, warehouse_id, owes

    def backorder_of(self, sku):
        return self._owes if self._owes is not None and self._owes.sku == sku else None


def test_what_is_owed_now_is_what_was_saved_overlaid_with_the_fulfillments_loaded_since():
    saved = [backorder("a", 3, minutes=0), backorder("b", 2, minutes=1), backorder("c", 1, minutes=2)]
    loaded = [
        Loaded("a", "WH-1", owes=backorder("a", 1, minutes=0)),  # part of it filled since
        Loaded("b", "WH-1"),  # owes nothing any more
        Loaded("c", "WH-2"),  # another warehouse: its state here says nothing about WH-1's
        Loaded("d", "WH-1", owes=backorder("d", 4, minutes=3)),  # a backorder made since
    ]

    assert owed_now(saved, loaded, "WH-1", "MUG") == [backorder("a", 1, minutes=0), backorder("c", 1, minutes=2),
                                                      backorder("d", 4, minutes=3)]
    assert owed_now(saved, [], "WH-1", "MUG") == saved
