"""Tombstones held compactly behave exactly like a dict of order id -> until that expires from the
front: whatever the revivals, re-evictions, odd ids, and tombstones added out of expiry order
(spilled orders')."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kpi_svc.domain.tombstones import Tombstones

IDS = ["ord_1", "ord_2", "ord_3", "ord_01JABCDEF", "ord\nwith a newline", "ördér_ü", "", "ord_1\n"]


def test_an_evicted_order_is_known_with_its_until_until_it_expires():
    stones = Tombstones()
    stones.add("ord_1", 100)
    stones.add("ord_2", 100)
    stones.add("ord_3", 200)
    assert "ord_1" in stones and stones["ord_3"] == 200 and len(stones) == 3
    assert "ord_" not in stones and "rd_1" not in stones and "ord_12" not in stones
    assert stones.expire(150) == ["ord_1", "ord_2"]
    assert "ord_1" not in stones and stones["ord_3"] == 200 and len(stones) == 1
    with pytest.raises(KeyError):
        stones["ord_1"]


def test_a_revived_and_evicted_again_order_expires_with_its_last_tombstone():
    stones = Tombstones()
    stones.add("ord_1", 100)
    del stones["ord_1"]  # revived by a late event
    stones.add("ord_1", 300)  # settled again
    assert stones.expire(200) == [] and stones["ord_1"] == 300
    assert stones.expire(300) == ["ord_1"] and len(stones) == 0


def test_a_tombstone_added_out_of_expiry_order_expires_in_its_turn():
    stones = Tombstones()  # a spilled order's tombstone outlives those of orders evicted after it
    stones.add("ord_spilled", 500)
    stones.add("ord_1", 100)
    stones.add("ord_2", 300)
    stones.add("ord_3", 500)
    assert stones.expire(99) == []
    assert stones.expire(100) == ["ord_1"]
    assert stones.expire(499) == ["ord_2"]
    assert sorted(stones.expire(500)) == ["ord_3", "ord_spilled"] and len(stones) == 0


operation = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(IDS), st.integers(0, 3)),
    st.tuples(st.just("add_later"), st.sampled_from(IDS), st.integers(1, 6)),  # a spilled order's
    st.tuples(st.just("del"), st.sampled_from(IDS), st.just(0)),
    st.tuples(st.just("expire"), st.just(""), st.integers(0, 3)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=40))
def test_tombstones_behave_like_a_dict_expiring_from_the_front(operations):
    stones, model = Tombstones(), {}
    clock = 0
    for kind, order_id, step in operations:
        if kind == "add":
            clock += step
            stones.add(order_id, clock)
            model.pop(order_id, None)
            model[order_id] = clock
        elif kind == "add_later":
            stones.add(order_id, clock + step)
            model.pop(order_id, None)
            model[order_id] = clock + step
        elif kind == "del":
            if order_id in model:
                del stones[order_id]
                del model[order_id]
            else:
                with pytest.raises(KeyError):
                    del stones[order_id]
        else:
            gone = sorted(key for key, until in model.items() if until <= clock - step)
            assert sorted(stones.expire(clock - step)) == gone
            for key in gone:
                del model[key]
        assert len(stones) == len(model)
        for key in IDS:
            assert (key in stones) == (key in model)
            if key in model:
                assert stones[key] == model[key]
        assert sorted(stones) == sorted(model)
