"""`fulfillment.created` of an order read from catalog-checked data is recorded without validating it
again (`order_batch.BUILT_FROM_CHECKED_ORDERS`): whatever `order.confirmed` data the catalog accepts
and the domain reads, the event it opens passes the catalog's strict check, and the unit of work
stages exactly what it stages with the check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from fulfillment_svc.adapters.unit_of_work import SqlUnitOfWork
from fulfillment_svc.domain.errors import FulfillmentError
from fulfillment_svc.domain.events import FulfillmentCreated
from fulfillment_svc.domain.opening import open_fulfillment
from fulfillment_svc.domain.orders import ConfirmedOrder
from fulfillment_svc.domain.stock import Stock
from fulfillment_svc.domain.values import OrderLine
from fulfillment_svc.service_layer.order_batch import BUILT_FROM_CHECKED_ORDERS
from fulfillment_svc.service_layer.orders import OrderConfirmed
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from orderpulse.events import validate_data
from orderpulse.events.limits import MONEY_PATTERN, QUANTITY_MAX
from pydantic import ValidationError

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

ids = st.one_of(st.text(min_size=1, max_size=6), st.sampled_from(["MUG", "l1", " ", "\t", "é", "0"]))
times = st.builds(
    lambda minutes, offset: (T0 + timedelta(minutes=minutes)).astimezone(timezone(timedelta(minutes=offset))),
    st.integers(-10_000, 10_000), st.sampled_from([0, 60, -330]),
)
lines = st.lists(
    st.fixed_dictionaries({
        "line_id": ids,
        "sku": st.one_of(ids, st.sampled_from(["MUG", "TEE"])),
        "quantity": st.one_of(st.integers(1, QUANTITY_MAX), st.just(QUANTITY_MAX)),
        "unit_price": st.from_regex(MONEY_PATTERN, fullmatch=True),
    }),
    min_size=1, max_size=4,
)
confirmed_data = st.fixed_dictionaries(
    {
        "order_id": ids,
        "lines": lines,
        "ship_to": st.just({"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"}),
        "service_level": st.sampled_from(["standard", "express", "next_day"]),
        "promised_by": times.map(datetime.isoformat),
    },
    optional={"placed_at": times.map(datetime.isoformat)},
)


def staged(events: list, **vouched: object) -> list[tuple]:
    """What a unit of work stages for `events` (all but the generated event id), or the error."""
    uow = SqlUnitOfWork.joining(None, schema="s")  # type: ignore[arg-type]  # record() needs no session
    try:
        uow.record(events, **vouched)
    except ValidationError as error:
        return [("refused", str(error))]
    return [(e.type, e.source, e.subject, e.partitionkey, e.time, e.traceparent, e.data) for e in uow._inner.recorded]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=confirmed_data, fulfillment_id=ids, warehouse_id=ids, on_hand=st.integers(0, 2 * QUANTITY_MAX))
def test_what_the_catalog_accepts_and_the_domain_opens_passes_the_catalog(data, fulfillment_id, warehouse_id, on_hand):
    validate_data("order.confirmed.v1", data, tolerate_new_fields=True)  # as the consumer checks every record
    try:
        order = ConfirmedOrder.from_data(data)
        fulfillment = open_fulfillment(
            order, fulfillment_id=fulfillment_id, warehouse_id=warehouse_id, ship_deadline=T0, occurred_at=T0,
            stock_by_sku={line.sku: Stock(warehouse_id, line.sku, on_hand=on_hand) for line in order.lines},
        )
    except FulfillmentError:
        reject()  # the domain refuses it (a blank id, a negative price, a repeated line id): nothing opened
    created = [event for event in fulfillment.events if type(event) in BUILT_FROM_CHECKED_ORDERS]
    assert len(created) == 1
    for event in created:
        validate_data(event.type, event.to_data())  # strict, as a producer validates: never raises
    assert staged(created, vouched=BUILT_FROM_CHECKED_ORDERS) == staged(created)
    # inventory.backordered is still validated: the same outcome with or without the vouch
    assert staged(fulfillment.events, vouched=BUILT_FROM_CHECKED_ORDERS) == staged(fulfillment.events)


def test_the_vouch_is_the_callers_word():
    """Outside the consumer an order may come from data the catalog never saw: its `fulfillment.created`
    is validated (a line of 2,000,000 units is refused); only a vouching caller skips the check."""
    line = OrderLine("l1", "MUG", QUANTITY_MAX + 1, Decimal("1.00"))
    event = FulfillmentCreated(T0, "ful_1", "ord_1", "wh-1", (line,))

    assert staged([event])[0][0] == "refused"
    assert staged([event], vouched=BUILT_FROM_CHECKED_ORDERS)[0][0] == "orderpulse." + event.type


def test_only_the_consumers_reading_is_catalog_checked():
    data = {"order_id": "ord_1", "lines": [{"line_id": "l1", "sku": "MUG", "quantity": 1, "unit_price": "1.00"}],
            "ship_to": {}, "service_level": "standard", "promised_by": T0.isoformat()}

    assert OrderConfirmed.from_data(data, T0).catalog_checked is False
    assert OrderConfirmed.from_data(data, T0, catalog_checked=True).catalog_checked is True


@pytest.mark.parametrize("price", ["0", "-0", "-0.00", "007.50", "0.0000", "999999999999.9999", "12.5"])
def test_a_catalog_price_is_written_back_as_catalog_money(price):
    line = OrderLine.from_data({"line_id": "l1", "sku": "MUG", "quantity": 1, "unit_price": price})
    event = FulfillmentCreated(T0, "ful_1", "ord_1", "wh-1", (line,))

    validate_data(event.type, event.to_data())
    assert Decimal(event.to_data()["lines"][0]["unit_price"]) == Decimal(price)
