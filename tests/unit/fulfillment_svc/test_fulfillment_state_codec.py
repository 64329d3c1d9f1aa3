"""The `fulfillments.state` column: written with every key (a replica of the previous version, which
indexes every key, reads it during a rolling update), and read the same whether a key at its empty
value is there or left out (the compact form a later release may write, `fulcons6`)."""

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


# what the previous version's reader indexes: every one of these is written (`fulcons6`)
EVERY_KEY = {
    "lines", "service_level", "ship_to", "reserved", "backordered", "returned", "received_return_ids",
    "cancelled_at", "cancel_reason", "close_requested_at", "close_reason", "completed_at", "closed_short",
}
ALWAYS_WRITTEN = {"lines", "ship_to", "reserved"}


def compact(state: dict[str, Any]) -> dict[str, Any]:
    """The compact form: every key at its empty value left out (the standard service level too)."""
    return {
        key: value for key, value in state.items()
        if key in ALWAYS_WRITTEN or (value not in (None, {}, [], False) and (key, value) != ("service_level", "standard"))
    }


def read(state: dict[str, Any]) -> Fulfillment:
    """A row as the database gives it back: the state through JSON."""
    row = SimpleNamespace(fulfillment_id="ful_1", order_id="ord_1", warehouse_id="wh-1", promised_by=T0,
                          ship_deadline=T0, created_at=T0, state=orjson.loads(orjson.dumps(state)))
    return codec.fulfillment_from_row(row, [])


def fields_of(fulfillment: Fulfillment) -> dict[str, Any]:
    return {name: getattr(fulfillment, name) for name in Fulfillment.__dataclass_fields__ if name != "events"}


@settings(max_examples=300, deadline=None)
@given(fulfillments())
def test_the_state_is_written_with_every_key_and_reads_back_the_same_aggregate(fulfillment):
    written = codec.fulfillment_state(fulfillment)

    assert set(written) == EVERY_KEY
    assert fields_of(read(written)) == fields_of(fulfillment)


@settings(max_examples=300, deadline=None)
@given(fulfillments())
def test_a_state_without_its_empty_keys_reads_the_same_as_one_with_every_key(fulfillment):
    full = codec.fulfillment_state(fulfillment)

    assert fields_of(read(compact(full))) == fields_of(read(full)) == fields_of(fulfillment)


def test_the_compact_form_read_here_does_leave_keys_out():
    bare = compact({"lines": [], "service_level": "standard", "ship_to": {}, "reserved": {}, "backordered": {},
                    "returned": {}, "received_return_ids": [], "cancelled_at": None, "cancel_reason": None,
                    "close_requested_at": None, "close_reason": None, "completed_at": None, "closed_short": False})

    assert bare == {"lines": [], "ship_to": {}, "reserved": {}}


def test_a_new_fulfillment_writes_what_it_reserved_and_what_it_is_owed(build):
    state = codec.fulfillment_state(build.fulfillment(stock=build.stock(MUG=1, TEE=5)))

    assert (state["reserved"], state["backordered"]) == ({"MUG": 1, "TEE": 1}, {"MUG": 1})
