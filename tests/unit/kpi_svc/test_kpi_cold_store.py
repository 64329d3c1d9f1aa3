"""The compressed store of quiet orders gives back exactly the facts it was given, with the wake
they were put with, whether they were frozen before or after its preset dictionary was learnt;
and the wake schedule hands out exactly the wakes that still hold, in time order."""

from __future__ import annotations

from array import array

from hypothesis import given, settings
from hypothesis import strategies as st
from kpi_svc.domain.codec import encode_order
from kpi_svc.domain.coldstore import ColdStore
from kpi_svc.domain.facts import OrderFacts
from kpi_svc.domain.wakes import WakeSchedule

times = st.integers(-(2**62), 2**62)


def _order(order_id, seen, last, lines, contrib, labels, cancelled) -> OrderFacts:
    order = OrderFacts(order_id, seen, last_time_ms=last, lines=lines, labels=labels, cancelled=cancelled)
    if contrib is not None:
        order.contrib = {family: array("q", values[: len(values) // 2 * 2]) for family, values in contrib.items()}
    return order


orders = st.builds(
    _order,
    st.text(min_size=1, max_size=12),
    st.binary(max_size=64).map(lambda raw: raw[: len(raw) // 16 * 16]),
    times,
    st.none() | st.dictionaries(st.text(max_size=8), st.tuples(st.integers(0, 10**6), st.none() | st.text(max_size=6))),
    st.none() | st.dictionaries(st.integers(0, 6), st.lists(st.integers(-(2**63), 2**63 - 1), max_size=8)),
    st.none() | st.tuples(*[st.sampled_from(["dhl", "ups", "wh_a", "other"])] * 5),
    st.none() | st.tuples(times, st.text(max_size=8)),
)


def _same(left: OrderFacts, right: OrderFacts) -> bool:
    return encode_order(left) == encode_order(right) and left.wake_ms == right.wake_ms


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(orders, times), min_size=1, max_size=30), st.integers(4, 12))
def test_every_order_comes_back_exactly_with_its_wake(entries, learn_after):
    store, model = ColdStore(learn_after=learn_after), {}
    for order, wake in entries:
        store.put(order, wake)
        model[order.order_id] = (order, wake)
    assert len(store) == len(model) and set(store) == set(model)
    for order_id, (order, wake) in model.items():
        assert store.wake_of(order_id) == wake
        assert _same(store.peek(order_id), order)
        assert _same(store.thaw(store.frozen(order_id)), order)
    for order_id, (order, _wake) in model.items():
        assert _same(store.take(order_id), order)
        assert order_id not in store and store.wake_of(order_id) is None
    assert len(store) == 0


def test_orders_frozen_before_and_after_the_dictionary_is_learnt_thaw_alike():
    store = ColdStore(learn_after=8)
    orders = [
        OrderFacts(f"ord_{n}", bytes(16) * 3, last_time_ms=n, lines={"SKU-1": (n, "9.99")}, cancelled=(n, f"evt_{n}"))
        for n in range(40)
    ]  # settled: the dictionary is learnt from those
    for n, order in enumerate(orders):
        store.put(order, 1000 + n)
    learnt = store.size_of("ord_39")
    assert learnt < store.size_of("ord_0")  # the dictionary took effect
    for n, order in enumerate(orders):
        assert _same(store.take(f"ord_{n}"), order)


operation = st.one_of(
    st.tuples(st.just("order"), st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 50)),
    st.tuples(st.just("shift"), st.sampled_from(["labor:w:1", "labor:w:2"]), st.integers(0, 50)),
    st.tuples(st.just("due"), st.just(""), st.integers(0, 50)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=40))
def test_the_wake_schedule_hands_out_the_wakes_that_still_hold_in_time_order(operations):
    schedule = WakeSchedule()
    facts = {key: OrderFacts(key, b"") for key in "abcd"}
    shifts: dict[str, int] = {}

    class Engine:  # the one thing due() asks of the engine
        @staticmethod
        def wake_of(key):
            return facts[key].wake_ms

    for kind, key, when in operations:
        if kind == "order":
            expected = when if facts[key].wake_ms is None else min(when, facts[key].wake_ms)
            schedule.schedule(facts[key], when)
            assert facts[key].wake_ms == expected
        elif kind == "shift":
            schedule.schedule_shift(key, when)
            shifts[key] = when
        else:
            model = sorted(
                [(order.wake_ms, "order", k) for k, order in facts.items() if order.wake_ms is not None and order.wake_ms <= when]
                + [(until, "shift", k) for k, until in shifts.items() if until <= when]
            )
            got = []
            for kind_, key_, wake in schedule.due(when, Engine):
                got.append((wake, kind_, key_))
                if kind_ == "order":  # as the engine does, before the next wake is handed out:
                    facts[key_].wake_ms = None  # it reschedules the order, or the order is gone
                else:
                    del shifts[key_]
            assert got == model  # time order (orders first at a tie)
    schedule.compact((key, order.wake_ms) for key, order in facts.items())
    assert len(schedule) == sum(order.wake_ms is not None for order in facts.values()) + len(shifts)
