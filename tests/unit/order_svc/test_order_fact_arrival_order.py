"""Property: whatever order fulfillment facts arrive in, and however often, the status ends the
same and never steps back on the way."""

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from order_builders import LATER, confirmed_order

FACTS = [
    ("fulfillment.created.v1", {}),
    ("fulfillment.packed.v1", {"shipment_id": "shp_1"}),
    ("shipment.dispatched.v1", {"shipment_id": "shp_1", "lines": [{"sku": "MUG-1", "quantity": 2}]}),
    ("shipment.dispatched.v1", {"shipment_id": "shp_2", "lines": [{"sku": "TEE-1", "quantity": 1}]}),
    ("shipment.in_transit.v1", {"shipment_id": "shp_1"}),
    ("shipment.delivered.v1", {"shipment_id": "shp_1", "lines": [{"sku": "MUG-1", "quantity": 2}]}),
    ("shipment.delivered.v1", {"shipment_id": "shp_2", "lines": [{"sku": "TEE-1", "quantity": 1}]}),
]


def apply_all(facts):
    order = confirmed_order()
    ranks = [order.status.rank]
    for index, (kind, details) in facts:
        order.apply_fulfillment_fact(kind, LATER + timedelta(minutes=index), **details)
        ranks.append(order.status.rank)
    return order, ranks


EXPECTED_STATUS = apply_all(list(enumerate(FACTS)))[0].status


@given(st.permutations(list(enumerate(FACTS))), st.lists(st.sampled_from(list(enumerate(FACTS))), max_size=5))
def test_any_arrival_order_with_duplicates_ends_in_the_same_status(permuted, duplicates):
    order, ranks = apply_all(permuted + duplicates)
    assert order.status is EXPECTED_STATUS
    assert ranks == sorted(ranks)


@given(st.lists(st.sampled_from(list(enumerate(FACTS))), max_size=10))
def test_status_never_steps_back_for_any_subset_of_facts(facts):
    _, ranks = apply_all(facts)
    assert ranks == sorted(ranks)
