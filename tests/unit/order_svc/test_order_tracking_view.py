"""What the tracking page tells a customer, read from the order's timeline; and in which words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from order_svc.domain.tracking import order_tracking
from order_svc.entrypoints.pages import tracking_page
from order_svc.entrypoints.tracking_texts import Texts, locale_for

PLACED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday


@dataclass(frozen=True)
class Fact:
    type: str
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


def at(hours: float) -> datetime:
    return PLACED + timedelta(hours=hours)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def track(*facts: Fact):
    return order_tracking(
        order_id="ord_1", status="shipped", placed_at=PLACED, promised_by=at(72), facts=facts
    )


def test_milestones_are_the_customer_facing_facts_newest_first():
    tracking = track(
        Fact("orderpulse.order.placed.v1", at(0)),
        Fact("orderpulse.order.confirmed.v1", at(0)),
        Fact("orderpulse.order.invoiced.v1", at(0)),
        Fact("orderpulse.fulfillment.packed.v1", at(5), {"shipment_id": "shp_1"}),
        Fact("orderpulse.shipment.dispatched.v1", at(6), {"shipment_id": "shp_1", "carrier": "ups",
                                                           "tracking_number": "1Z1", "lines": [{"sku": "MUG-1", "quantity": 2}]}),
        Fact("orderpulse.notification.sent.v1", at(6), {"milestone": "shipped"}),
        Fact("orderpulse.shipment.in_transit.v1", at(8), {"shipment_id": "shp_1"}),
        Fact("orderpulse.shipment.delivered.v1", at(30), {"shipment_id": "shp_1"}),
    )
    assert [m.name for m in tracking.milestones] == ["delivered", "shipped", "order_confirmed", "order_placed"]
    assert tracking.latest.parcel == 1


def test_parcels_are_numbered_in_dispatch_order_with_carrier_contents_and_status():
    tracking = track(
        Fact("shipment.dispatched.v1", at(6), {"shipment_id": "shp_b", "carrier": "dhl", "tracking_number": "JD1",
                                               "lines": [{"sku": "TEE-1", "quantity": 1}], "eta": iso(at(48))}),
        Fact("shipment.dispatched.v1", at(7), {"shipment_id": "shp_a", "carrier": "ups", "tracking_number": "1Z2",
                                               "lines": [{"sku": "MUG-1", "quantity": 2}], "eta": iso(at(50))}),
        Fact("shipment.out_for_delivery.v1", at(40), {"shipment_id": "shp_a", "carrier": "ups"}),
    )
    first, second = tracking.parcels
    assert (first.number, first.shipment_id, first.carrier, first.tracking_number) == (1, "shp_b", "dhl", "JD1")
    assert first.lines == (("TEE-1", 1),) and first.status == "shipped" and first.eta == at(48)
    assert (second.number, second.status, second.updated_at) == (2, "out_for_delivery", at(40))


def test_a_delay_moves_the_parcel_eta_and_the_milestone_tells_the_new_one():
    tracking = track(
        Fact("shipment.dispatched.v1", at(6), {"shipment_id": "shp_1", "eta": iso(at(48))}),
        Fact("shipment.delayed.v1", at(30), {"shipment_id": "shp_1", "reason": "weather", "new_eta": iso(at(96))}),
    )
    assert tracking.parcels[0].eta == at(96) and tracking.parcels[0].status == "delayed"
    assert tracking.latest.name == "delayed" and tracking.latest.eta == at(96)
    assert tracking.expected_by == at(96)  # not the promise (at 72) the delay broke


def test_the_order_is_expected_by_its_promise_until_a_carrier_estimates_and_ignores_delivered_parcels():
    assert track().expected_by == at(72)
    tracking = track(
        Fact("shipment.dispatched.v1", at(6), {"shipment_id": "s1", "eta": iso(at(100))}),
        Fact("shipment.dispatched.v1", at(7), {"shipment_id": "s2", "eta": iso(at(40))}),
        Fact("shipment.delivered.v1", at(90), {"shipment_id": "s1"}),
    )
    assert tracking.expected_by == at(40)


def test_a_delivered_parcel_stays_delivered_whatever_scan_arrives_late():
    tracking = track(
        Fact("shipment.dispatched.v1", at(6), {"shipment_id": "shp_1", "eta": iso(at(48))}),
        Fact("shipment.delivered.v1", at(30), {"shipment_id": "shp_1"}),
        Fact("shipment.out_for_delivery.v1", at(31), {"shipment_id": "shp_1"}),
    )
    parcel = tracking.parcels[0]
    assert (parcel.status, parcel.delivered_at, parcel.eta) == ("delivered", at(30), None)


def test_facts_are_taken_in_event_time_whatever_order_they_are_given_in():
    tracking = track(
        Fact("shipment.delivered.v1", at(30), {"shipment_id": "shp_1"}),
        Fact("shipment.dispatched.v1", at(6), {"shipment_id": "shp_1", "carrier": "ups"}),
    )
    assert [m.name for m in tracking.milestones] == ["delivered", "shipped"]
    assert tracking.parcels[0].status == "delivered" and tracking.parcels[0].carrier == "ups"


def test_a_hold_names_what_to_fix_as_codes_never_the_detail_text():
    tracking = track(
        Fact("order.held.v1", at(0), {"discrepancies": [
            {"code": "invalid_address", "field": "ship_to.postal_code", "detail": "12 Secret Lane is incomplete"},
            {"code": "price_mismatch", "field": "lines[0].unit_price", "detail": "9.99 != 12.50"},
        ]}),
    )
    assert tracking.latest.hold_codes == ("invalid_address", "price_mismatch")


def test_an_order_without_facts_has_no_milestones_or_parcels():
    tracking = track()
    assert tracking.milestones == () and tracking.parcels == () and tracking.latest is None


def test_german_customers_get_german_and_everyone_else_english():
    assert [locale_for(value) for value in ("de", "de-AT", "de_CH", "DE-de")] == ["de"] * 4
    assert [locale_for(value) for value in ("en-GB", "fr-FR", "", None)] == ["en"] * 4
    assert locale_for(None, "fr-CH, de;q=0.8, en;q=0.5") == "de"
    assert locale_for("en-US", "de") == "en"  # the customer's own choice wins over the browser's


def test_times_are_shown_in_the_customers_timezone_and_language():
    moment = datetime(2026, 12, 8, 13, 5, tzinfo=UTC)
    assert Texts.of("en", "Europe/London").when(moment) == "Tue 8 Dec 2026, 13:05"
    assert Texts.of("de", "Europe/Berlin").when(moment) == "Di., 08.12.2026, 14:05 Uhr"
    assert Texts.of("en", "America/New_York").day(datetime(2026, 12, 8, 3, 0, tzinfo=UTC)) == "Mon 7 Dec 2026"
    assert Texts.of("en", "Not/AZone").zone_name == "UTC"
    german = Texts.of("de")
    assert german.milestone("out_for_delivery") == "In Zustellung" and german.status("partially_shipped") == "Teilweise versandt"
    assert german.hold_reasons(("invalid_address", "price_mismatch")) == (
        "die Lieferadresse ist unvollständig; ein Preis muss geprüft werden"
    )


def test_every_milestone_renders_with_its_details_in_german():
    tracking = order_tracking(
        order_id="ord_1", status="shipped", placed_at=PLACED, promised_by=at(72), locale="de-AT", timezone="Europe/Vienna",
        facts=[
            Fact("order.placed.v1", at(0)),
            Fact("order.held.v1", at(0), {"discrepancies": [{"code": "invalid_address"}]}),
            Fact("order.released.v1", at(1)),
            Fact("order.payment_failed.v1", at(1)),
            Fact("order.confirmed.v1", at(1)),
            Fact("shipment.dispatched.v1", at(5), {"shipment_id": "s1", "carrier": "dhl", "tracking_number": "JJD1",
                                                   "lines": [{"sku": "MUG-1", "quantity": 2}], "eta": iso(at(50))}),
            Fact("shipment.delayed.v1", at(30), {"shipment_id": "s1", "new_eta": iso(at(100))}),
            Fact("shipment.exception.v1", at(31), {"shipment_id": "s1", "reason": "other"}),
            Fact("shipment.out_for_delivery.v1", at(90), {"shipment_id": "s1"}),
            Fact("shipment.delivery_failed.v1", at(95), {"shipment_id": "s1", "next_attempt": iso(at(120))}),
            Fact("shipment.delivered.v1", at(121), {"shipment_id": "s1"}),
            Fact("return.requested.v1", at(130)),
            Fact("return.received.v1", at(150)),
            Fact("order.cancelled.v1", at(160)),
        ],
    )
    response = tracking_page(tracking)
    html = response.body.decode()

    assert response.status_code == 200 and '<html lang="de">' in html
    for label in ("Bestellung eingegangen", "Bestellung angehalten", "die Lieferadresse ist unvollständig",
                  "Bestellung freigegeben", "Zahlung fehlgeschlagen", "Versandt", "Verspätet",
                  "neue voraussichtliche Zustellung Fr., 11.12.2026", "Problem mit dem Paket", "In Zustellung",
                  "Zustellversuch fehlgeschlagen", "nächster Zustellversuch Sa., 12.12.2026", "Zugestellt",
                  "Rücksendung angemeldet", "Rücksendung eingegangen", "Bestellung storniert", "DHL", "JJD1",
                  "2 × MUG-1", "Europe/Vienna"):
        assert label in html, label
