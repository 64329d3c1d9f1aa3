"""The `fulfillments.state` column: written compact (a key at its empty value left out, `fulcons6`),
and read the same whether such a key is there or not: rows the releases up to edb9122 wrote hold
every key, and edb9122 (which a rolling update runs beside this one) reads the compact form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import orjson
from fulfillment_svc.adapters import codec
from fulfillment_svc.domain.fulfillment import Fulfillment
from fulfillment_svc.domain.values import OrderLine
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SKUS = ["MUG", "TEE", "CAP"]

times = st.builds(
    lambda minutes, offset: (T0 + timedelta(minutes=minutes, microseconds=7)).astimezone(timezone(timedelta(minutes=offset))),
    st.integers(-10_000, 10_000), st.sampled_from([0, 60, -330]),
)
counts = st.dictionaries(st.sampled_from(SKUS), st.integers(0, 5), max_size=3)
texts = st.one_of(st.none(), st.sampled_from(["", "customer changed their mind", "warehouse closed short"]))


@st.composite
def fulfillments(draw) -> Fulfillment:
    return Fulfillment(
        fulfillment_id="ful_1",
        order_id="ord_1",
        warehouse_id="wh-1",
        lines=(OrderLine("l1", "MUG", 2, Decimal("12.50")), OrderLine("l2", "TEE", 1, Decimal("0.000"))),
        promised_by=T0,
        ship_deadline=T0,
        created_at=T0,
        service_level=draw(st.sampled_from(["standard", "express", "next_day"])),
        ship_to={"country": "DE", "city": "Berlin"},
        reserved=draw(counts),
        backordered=draw(counts),
        returned=draw(counts),
        received_return_ids=draw(st.sets(st.sampled_from(["ret_1", "ret_2"]))),
        cancelled_at=draw(st.one_of(st.none(), times)),
        cancel_reason=draw(texts),
        close_requested_at=draw(st.one_of(st.none(), times)),
        close_reason=draw(texts),
        completed_at=draw(st.one_of(st.none(), times)),
        closed_short=draw(st.booleans()),
    )


# every key at its empty value, as the releases up to edb9122 wrote it
EMPTY = {
    "service_level": "standard", "backordered": {}, "returned": {}, "received_return_ids": [],
    "cancelled_at": None, "cancel_reason": None, "close_requested_at": None, "close_reason": None,
    "completed_at": None, "closed_short": False,
}
ALWAYS_WRITTEN = {"lines", "ship_to", "reserved"}


def with_every_key(state: dict[str, Any]) -> dict[str, Any]:
    """The form the releases up to edb9122 wrote: the keys left out, at their empty value."""
    return {**EMPTY, **state}


def read(state: dict[str, Any]) -> Fulfillment:
    """A row as the database gives it back: the state through JSON."""
    row = SimpleNamespace(fulfillment_id="ful_1", order_id="ord_1", warehouse_id="wh-1", promised_by=T0,
                          ship_deadline=T0, created_at=T0, state=orjson.loads(orjson.dumps(state)))
    return codec.fulfillment_from_row(row, [])


def fields_of(fulfillment: Fulfillment) -> dict[str, Any]:
    return {name: getattr(fulfillment, name) for name in Fulfillment.__dataclass_fields__ if name != "events"}


@settings(max_examples=300, deadline=None)
@given(fulfillments())
def test_the_state_is_written_without_its_empty_keys_and_reads_back_the_same_aggregate(fulfillment):
    written = codec.fulfillment_state(fulfillment)

    assert set(written) >= ALWAYS_WRITTEN
    assert all(written[key] != empty for key, empty in EMPTY.items() if key in written)
    assert fields_of(read(written)) == fields_of(fulfillment)


@settings(max_examples=300, deadline=None)
@given(fulfillments())
def test_a_state_with_every_key_as_earlier_releases_wrote_it_reads_the_same(fulfillment):
    written = codec.fulfillment_state(fulfillment)

    assert fields_of(read(with_every_key(written))) == fields_of(read(written)) == fields_of(fulfillment)


def test_an_untouched_fulfillment_is_written_with_only_its_lines_address_and_reservation(build):
    fulfillment = build.fulfillment(stock=build.stock(MUG=5, TEE=5))

    assert set(codec.fulfillment_state(fulfillment)) == ALWAYS_WRITTEN


def test_what_is_not_empty_is_written(build):
    fulfillment = build.fulfillment(stock=build.stock(MUG=5, TEE=5))
    fulfillment.service_level, fulfillment.closed_short, fulfillment.cancel_reason = "express", True, ""
    fulfillment.backordered, fulfillment.received_return_ids = {"MUG": 1}, {"ret_2", "ret_1"}

    written = codec.fulfillment_state(fulfillment)

    assert (written["service_level"], written["closed_short"], written["cancel_reason"]) == ("express", True, "")
    assert (written["backordered"], written["received_return_ids"]) == ({"MUG": 1}, ["ret_1", "ret_2"])


def test_a_new_fulfillment_writes_what_it_reserved_and_what_it_is_owed(build):
    state = codec.fulfillment_state(build.fulfillment(stock=build.stock(MUG=1, TEE=5)))

    assert (state["reserved"], state["backordered"]) == ({"MUG": 1, "TEE": 1}, {"MUG": 1})
