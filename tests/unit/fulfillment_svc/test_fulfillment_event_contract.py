"""Every event of the orderpulse.fulfillment topic carries exactly the fields events.md lists."""

import json
from decimal import Decimal

import pytest
from fulfillment_svc.domain import events
from fulfillment_svc.domain.documents import Discrepancy, DocumentRef
from fulfillment_svc.domain.values import OrderLine, SkuQuantity
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
