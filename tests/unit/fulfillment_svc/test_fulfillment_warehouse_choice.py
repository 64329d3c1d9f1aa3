from fulfillment_svc.domain.stock import Stock
from fulfillment_svc.service_layer.context import Policy
from fulfillment_svc.service_layer.warehouse_choice import choose_warehouse, pick_warehouse, pick_warehouse_of_rows
from hypothesis import given
from hypothesis import strategies as st


class FakeStock:
    def __init__(self, available_by_warehouse):
        self._available = available_by_warehouse

    async def available_by_warehouse(self, skus):
        return {w: {s: q for s, q in by_sku.items() if s in set(skus)} for w, by_sku in self._available.items()}


class FakeUnitOfWork:
    def __init__(self, available_by_warehouse):
        self.stock = FakeStock(available_by_warehouse)


POLICY = Policy(default_warehouse_id="wh-1")


async def test_the_warehouse_that_can_ship_most_of_the_order_takes_it(build):
    uow = FakeUnitOfWork({"wh-1": {"MUG": 1, "TEE": 1}, "wh-2": {"MUG": 2, "TEE": 1}, "wh-3": {"MUG": 50}})

    assert await choose_warehouse(uow, POLICY, build.order(MUG=2, TEE=1)) == "wh-2"
    assert await choose_warehouse(uow, POLICY, build.order(MUG=3)) == "wh-3"


async def test_a_tie_goes_to_the_default_warehouse_then_to_the_lowest_id(build):
    uow = FakeUnitOfWork({"wh-c": {"MUG": 2}, "wh-b": {"MUG": 2}, "wh-1": {"MUG": 2}})

    assert await choose_warehouse(uow, POLICY, build.order(MUG=2)) == "wh-1"
    assert await choose_warehouse(uow, Policy(default_warehouse_id="wh-z"), build.order(MUG=2)) == "wh-1"
    assert await choose_warehouse(uow, Policy(default_warehouse_id="wh-c"), build.order(MUG=2)) == "wh-c"


async def test_an_order_nobody_has_goes_to_the_default_warehouse(build):
    uow = FakeUnitOfWork({"wh-2": {"MUG": 0}})

    assert await choose_warehouse(uow, POLICY, build.order(MUG=2)) == "wh-1"


# --- over a batch's locked rows (`pick_warehouse_of_rows`, fulcons3) --------------------------------

WAREHOUSES = ["wh-1", "wh-2", "wh-3"]
SKUS = ["MUG", "TEE", "CAP"]


def rows_of(available_by_warehouse):
    rows = {}
    for warehouse_id, by_sku in available_by_warehouse.items():
        rows[warehouse_id] = {}
        for sku, (on_hand, reserved) in by_sku.items():
            row = Stock(warehouse_id, sku, on_hand=on_hand)
            row.reserved = reserved  # a row may be reserved beyond what is on hand after a count
            rows[warehouse_id][sku] = row
    return rows


def as_before(rows, wanted, policy):
    """What `OrderBatch` gathered for `pick_warehouse` before the default warehouse's shortcut."""
    available = {}
    for warehouse_id, by_sku in rows.items():
        if have := {sku: by_sku[sku].available for sku in wanted if sku in by_sku}:
            available[warehouse_id] = have
    return pick_warehouse(available, wanted, policy)


@given(
    st.dictionaries(
        st.sampled_from(WAREHOUSES),
        st.dictionaries(st.sampled_from(SKUS), st.tuples(st.integers(0, 5), st.integers(0, 5))),
    ),
    st.dictionaries(st.sampled_from(SKUS), st.integers(1, 4), min_size=1),
    st.sampled_from([*WAREHOUSES, "wh-0"]),
)
def test_the_batch_picks_the_warehouse_pick_warehouse_picks(available_by_warehouse, wanted, default):
    policy = Policy(default_warehouse_id=default)
    rows = rows_of(available_by_warehouse)

    assert pick_warehouse_of_rows(rows, wanted, policy) == as_before(rows, wanted, policy)


def test_a_default_warehouse_that_has_everything_wins_even_where_another_has_more():
    rows = rows_of({"wh-0": {"MUG": (50, 0), "TEE": (1, 0)}, "wh-1": {"MUG": (2, 0), "TEE": (1, 1)}})

    assert pick_warehouse_of_rows(rows, {"MUG": 2}, POLICY) == "wh-1"
    assert pick_warehouse_of_rows(rows, {"MUG": 3}, POLICY) == "wh-0"
    assert pick_warehouse_of_rows(rows, {"MUG": 1, "TEE": 1}, POLICY) == "wh-0"  # wh-1's TEE is all reserved
