"""Every event of the orderpulse.fulfillment topic carries exactly the fields events.md lists."""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest
from fulfillment_svc.domain import events
from fulfillment_svc.domain.documents import Discrepancy, DocumentRef
from fulfillment_svc.domain.errors import InvalidAmount, InvalidTime
from fulfillment_svc.domain.values import OrderLine, SkuQuantity, format_amount, parse_amount, require_aware
from orderpulse.events import validate_data
from orderpulse.events.envelope import format_time, new_envelope

# events.md, orderpulse.fulfillment: required fields, then optional ones
CATALOG = {
    "fulfillment.created.v1": ({"fulfillment_id", "order_id", "warehouse_id", "lines"}, set()),
    "inventory.backordered.v1": ({"order_id", "warehouse_id", "sku", "quantity_short"}, {"expected_at"}),
    "fulfillment.packed.v1": (
        {"fulfillment_id", "shipment_id", "order_id", "lines", "documents", "document_discrepancies"},
        set(),
    ),
    "shipment.dispatched.v1": (
        {"shipment_id", "order_id", "warehouse_id", "carrier", "tracking_number", "lines", "promised_by", "eta"},
        {"shipping_cost"},
    ),
    "shipment.in_transit.v1": ({"shipment_id", "order_id", "carrier"}, {"location", "eta"}),
    "shipment.out_for_delivery.v1": ({"shipment_id", "order_id", "carrier"}, {"eta"}),
    "shipment.delayed.v1": ({"shipment_id", "order_id", "carrier", "reason", "new_eta"}, set()),
    "shipment.delivery_failed.v1": ({"shipment_id", "order_id", "carrier", "reason"}, {"next_attempt"}),
    "shipment.exception.v1": ({"shipment_id", "order_id", "carrier", "reason"}, set()),
    "shipment.delivered.v1": ({"shipment_id", "order_id", "carrier", "condition", "lines"}, {"proof"}),
    "fulfillment.completed.v1": (
        {"order_id", "shipments", "delivered_at", "lines_requested", "lines_delivered", "closed_short"},
        set(),
    ),
    "return.received.v1": ({"order_id", "return_id", "lines", "condition"}, set()),
    "labor.shift_recorded.v1": ({"warehouse_id", "shift_id", "start", "end", "staff", "hourly_cost"}, set()),
}


def samples(build):
    t = build.t0
    line = OrderLine("l1", "MUG", 2, Decimal("12.50"))
    sku_line = SkuQuantity("MUG", 2)
    shipment = {"shipment_id": "s", "order_id": "o", "carrier": "dhl"}
    everything_given = [
        events.FulfillmentCreated(t, "f", "o", "w", (line,)),
        events.InventoryBackordered(t, "o", "w", "MUG", 2, expected_at=t),
        events.FulfillmentPacked(
            t, "f", "s", "o", (sku_line,), (DocumentRef("invoice", "I"),), (Discrepancy("missing_line", "x"),)
        ),
        events.ShipmentDispatched(t, "s", "o", "w", "dhl", "T", (line,), t, t, Decimal("4.90")),
        events.ShipmentInTransit(t, **shipment, location="hub", eta=t),
        events.ShipmentOutForDelivery(t, **shipment, eta=t),
        events.ShipmentDelayed(t, **shipment, reason="weather", new_eta=t),
        events.ShipmentDeliveryFailed(t, **shipment, reason="nobody home", next_attempt=t),
        events.ShipmentExceptionReported(t, **shipment, reason="lost"),
        events.ShipmentDelivered(t, **shipment, condition="intact", lines=(sku_line,), proof="photo"),
        events.FulfillmentCompleted(t, "o", 1, t, (sku_line,), (sku_line,), False),
        events.ReturnReceived(t, "o", "r", (line,), "intact"),
        events.LaborShiftRecorded(t, "w", "sh", t, build.at(hours=8), 3, Decimal("20")),
    ]
    only_required = [
        events.InventoryBackordered(t, "o", "w", "MUG", 2),
        events.ShipmentDispatched(t, "s", "o", "w", "dhl", "T", (line,), t, t),
        events.ShipmentInTransit(t, **shipment),
        events.ShipmentOutForDelivery(t, **shipment),
        events.ShipmentDeliveryFailed(t, **shipment, reason="nobody home"),
        events.ShipmentDelivered(t, **shipment, condition="intact", lines=(sku_line,)),
    ]
    return everything_given, only_required


def test_every_catalog_type_has_an_event(build):
    everything_given, _ = samples(build)

    assert {event.type for event in everything_given} == set(CATALOG)


def test_an_event_with_every_field_given_carries_the_catalog_fields_and_no_others(build):
    for event in samples(build)[0]:
        required, optional = CATALOG[event.type]
        assert set(event.to_data()) == required | optional, event.type


def test_unknown_optional_fields_are_left_out_and_required_ones_are_always_there(build):
    for event in samples(build)[1]:
        required, _ = CATALOG[event.type]
        assert set(event.to_data()) == required, event.type


def test_every_event_passes_the_shared_catalog_models_strictly(build):
    everything_given, only_required = samples(build)

    for event in everything_given + only_required:
        validate_data(event.type, event.to_data())


def test_times_are_written_exactly_as_the_shared_envelope_writes_them(build):
    event = events.ShipmentDelayed(build.t0, "s", "o", "dhl", "weather", build.at(hours=3.0001))

    assert event.to_data()["new_eta"] == format_time(build.at(hours=3.0001))


@pytest.mark.parametrize("index", range(len(CATALOG)))
def test_every_event_fits_in_the_shared_envelope_as_json(build, index):
    event = samples(build)[0][index]

    envelope = new_envelope(
        type=event.type, source="/fulfillment-svc", key=event.key, data=event.to_data(), time=event.occurred_at
    )

    body = json.loads(envelope.to_json())
    assert body["type"] == "orderpulse." + event.type
    assert body["partitionkey"] == ("w" if event.type == "labor.shift_recorded.v1" else "o")
    assert body["data"] == event.to_data()


def test_events_are_immutable(build):
    event = samples(build)[0][0]

    with pytest.raises(AttributeError):
        event.order_id = "other"


# --- the same bytes and values as before the opening path was made cheaper (fulcons3) ------------


def data_as_before(event: events.DomainEvent) -> dict[str, Any]:
    """`DomainEvent.to_data` as it was written before: every value through the generic checks."""
    data: dict[str, Any] = {}
    for name in events._data_fields(type(event)):
        value = getattr(event, name)
        if value is None and name in event.optional_fields:
            continue
        data[name] = jsonable_as_before(value)
    return data


def jsonable_as_before(value: Any) -> Any:
    if type(value) is str or type(value) is int:
        return value
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Decimal):
        return format_amount(value)
    if isinstance(value, (tuple, list)):
        return [jsonable_as_before(item) for item in value]
    if hasattr(value, "to_data"):
        return value.to_data()
    return value


def more_samples(build) -> list[events.DomainEvent]:
    """Shapes the catalog samples lack: several lines, an amount `str` would write with an exponent,
    a time in another offset, no lines at all, values of every kind in one tuple."""
    t = build.t0
    lines = (OrderLine("l1", "MUG", 2, Decimal("12.50")), OrderLine("l2", "CUP", 1, Decimal("1E+2")),
             OrderLine("l3", "LID", 3, Decimal("0.000")))
    berlin = t.astimezone(timezone(timedelta(hours=1)))
    return [
        events.FulfillmentCreated(t, "f", "o", "w", lines),
        events.FulfillmentCreated(berlin, "f", "o", "w", ()),
        events.ShipmentDispatched(t, "s", "o", "w", "dhl", "T", lines, berlin, berlin, Decimal("4.9E+1")),
        events.FulfillmentPacked(t, "f", "s", "o", (SkuQuantity("MUG", 2), SkuQuantity("CUP", 1)),
                                 (DocumentRef("invoice", "I"), DocumentRef("packing_slip", "P")),
                                 (Discrepancy("missing_line", "x"),)),
        events.InventoryBackordered(t, "o", "w", "MUG", 2, expected_at=berlin),
    ]


def test_every_event_writes_the_same_json_bytes_as_before(build):
    everything_given, only_required = samples(build)

    for event in everything_given + only_required + more_samples(build):
        assert orjson.dumps(event.to_data()) == orjson.dumps(data_as_before(event)), event


PRICE_TEXTS = ["12.50", "12.5", "0", "0.00", "1E+2", "1e-3", " 7.25 ", "1_000", "100000000000.01",
               "-0", "-1", "NaN", "Infinity", "-Infinity", "sNaN", "", "twelve", "1.2.3"]
PRICES_OF_OTHER_TYPES = [12, 0, Decimal("3.10"), 1.5, True, None, -2]


@pytest.mark.parametrize("price", PRICE_TEXTS + PRICES_OF_OTHER_TYPES)
def test_a_line_price_reads_or_is_refused_as_parse_amount_does_it(price):
    line = {"line_id": "l1", "sku": "MUG", "quantity": 1, "unit_price": price}
    try:
        expected = parse_amount(price, field="lines.unit_price")
    except InvalidAmount as refused:
        with pytest.raises(InvalidAmount) as raised:
            OrderLine.from_data(line)
        assert (str(raised.value), raised.value.field) == (str(refused), refused.field)
    else:
        amount = OrderLine.from_data(line).unit_price
        assert (amount, str(amount), amount.as_tuple()) == (expected, str(expected), expected.as_tuple())


class _Moment(datetime):
    """A datetime subclass whose offset is unknown: not taken for UTC by the quick check."""

    def utcoffset(self):
        return None


def test_require_aware_takes_any_aware_time_and_refuses_the_others():
    utc = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    plus_one = utc.astimezone(timezone(timedelta(hours=1)))

    assert require_aware(utc, field="t") is utc
    assert require_aware(plus_one, field="t") is plus_one
    for refused in (datetime(2026, 12, 7, 9, 0), _Moment(2026, 12, 7, 9, 0, tzinfo=UTC), "2026-12-07T09:00:00Z", None):
        with pytest.raises(InvalidTime):
            require_aware(refused, field="t")
