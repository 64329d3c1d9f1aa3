"""The `fulfillments.state` column written compact (`codec.fulfillment_state`: keys at their empty
value left out) reads back the same aggregate, and reads rows written before with every key the
same way (`fulcons6`)."""

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


def full_state(fulfillment: Fulfillment) -> dict[str, Any]:
    """The state as it was written before `fulcons6`: every key, empty values included."""

    def time_text(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "lines": codec.order_lines_to_json(fulfillment.lines),
        "service_level": fulfillment.service_level,
        "ship_to": dict(fulfillment.ship_to),
        "reserved": dict(fulfillment.reserved),
        "backordered": dict(fulfillment.backordered),
        "returned": dict(fulfillment.returned),
        "received_return_ids": sorted(fulfillment.received_return_ids),
        "cancelled_at": time_text(fulfillment.cancelled_at),
        "cancel_reason": fulfillment.cancel_reason,
        "close_requested_at": time_text(fulfillment.close_requested_at),
        "close_reason": fulfillment.close_reason,
        "completed_at": time_text(fulfillment.completed_at),
        "closed_short": fulfillment.closed_short,
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
def test_the_compact_state_reads_back_the_same_aggregate(fulfillment):
    assert fields_of(read(codec.fulfillment_state(fulfillment))) == fields_of(fulfillment)


@settings(max_examples=300, deadline=None)
@given(fulfillments())
def test_a_row_written_before_with_every_key_reads_the_same(fulfillment):
    assert fields_of(read(full_state(fulfillment))) == fields_of(read(codec.fulfillment_state(fulfillment)))


@settings(max_examples=300, deadline=None)
@given(fulfillments())
def test_the_compact_state_is_the_full_one_without_the_keys_at_their_empty_value(fulfillment):
    compact, full = codec.fulfillment_state(fulfillment), full_state(fulfillment)

    assert compact == {key: value for key, value in full.items() if key in compact}
    left_out = {key: value for key, value in full.items() if key not in compact}
    assert all(value in (None, {}, [], False) or (key, value) == ("service_level", "standard")
               for key, value in left_out.items())
    assert {"lines", "ship_to", "reserved"} <= compact.keys()


def test_a_new_fulfillment_writes_its_lines_address_and_reservations_and_what_it_is_owed(build):
    state = codec.fulfillment_state(build.fulfillment(stock=build.stock(MUG=1, TEE=5)))
    in_stock = codec.fulfillment_state(build.fulfillment(stock=build.stock(MUG=5, TEE=5)))

    assert list(state) == ["lines", "ship_to", "reserved", "backordered"]
    assert (state["reserved"], state["backordered"]) == ({"MUG": 1, "TEE": 1}, {"MUG": 1})
    assert list(in_stock) == ["lines", "ship_to", "reserved"]
