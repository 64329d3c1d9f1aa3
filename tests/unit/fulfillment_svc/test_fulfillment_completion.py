import pytest
from fulfillment_svc.domain.errors import AlreadyCancelled, FulfillmentClosed
from fulfillment_svc.domain.values import SkuQuantity


def completions(fulfillment):
    return [e for e in fulfillment.events if e.type == "fulfillment.completed.v1"]


def deliver(build, fulfillment, event_id, tracking_number, *, hours, condition="intact", lines=None):
    return fulfillment.record_scan(
        "dhl",
        build.scan(
            event_id, "delivered", hours=hours, tracking_number=tracking_number, condition=condition, lines=lines
        ),
    )


def test_delivering_every_requested_unit_completes_the_fulfillment(build):
    stock = build.stock(MUG=5, TEE=5)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.ship(fulfillment, stock, tracking_number="T1", MUG=2, TEE=1)

    deliver(build, fulfillment, "e1", "T1", hours=40)

    assert fulfillment.status == "completed"
    [completed] = completions(fulfillment)
    assert completed.occurred_at == build.at(hours=40)
    assert completed.to_data() == {
        "order_id": "ord_1",
        "shipments": 1,
        "delivered_at": "2026-11-22T01:00:00.000Z",
        "lines_requested": [{"sku": "MUG", "quantity": 2}, {"sku": "TEE", "quantity": 1}],
        "lines_delivered": [{"sku": "MUG", "quantity": 2}, {"sku": "TEE", "quantity": 1}],
        "closed_short": False,
    }


def test_split_shipments_complete_only_after_the_last_delivery(build):
    stock = build.stock(MUG=5, TEE=5)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.ship(fulfillment, stock, "shp_1", tracking_number="T1", hours=2, MUG=2)
    build.ship(fulfillment, stock, "shp_2", tracking_number="T2", hours=3, TEE=1)

    deliver(build, fulfillment, "e1", "T1", hours=30)
    assert completions(fulfillment) == []
    assert fulfillment.status == "dispatched"

    deliver(build, fulfillment, "e2", "T2", hours=50)
    [completed] = completions(fulfillment)
    assert completed.to_data()["shipments"] == 2
    assert completed.delivered_at == build.at(hours=50)


def test_the_delivery_time_of_record_is_the_latest_delivery_even_when_it_arrives_first(build):
    stock = build.stock(MUG=5, TEE=5)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.ship(fulfillment, stock, "shp_1", tracking_number="T1", hours=2, MUG=2)
    build.ship(fulfillment, stock, "shp_2", tracking_number="T2", hours=3, TEE=1)

    deliver(build, fulfillment, "e2", "T2", hours=50)
    deliver(build, fulfillment, "e1", "T1", hours=30)

    [completed] = completions(fulfillment)
    assert completed.delivered_at == completed.occurred_at == build.at(hours=50)


def test_a_damaged_delivery_still_completes_the_fulfillment(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=1), stock=stock)
    build.ship(fulfillment, stock, tracking_number="T1", MUG=1)

    deliver(build, fulfillment, "e1", "T1", hours=40, condition="damaged")

    assert completions(fulfillment)[0].closed_short is False


def test_a_delivery_short_of_what_was_shipped_leaves_the_fulfillment_open_until_closed(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    build.ship(fulfillment, stock, tracking_number="T1", MUG=2)
    deliver(build, fulfillment, "e1", "T1", hours=40, lines=(SkuQuantity("MUG", 1),))
    assert completions(fulfillment) == []

    fulfillment.close(reason="one mug lost by the carrier", occurred_at=build.at(hours=60), stock_by_sku=stock)

    [completed] = completions(fulfillment)
    assert fulfillment.status == "closed_short"
    assert completed.to_data()["closed_short"] is True
    assert completed.to_data()["lines_delivered"] == [{"sku": "MUG", "quantity": 1}]
    assert completed.delivered_at == build.at(hours=40)
    assert completed.occurred_at == build.at(hours=60)


def test_closing_releases_reserved_stock_and_drops_backorders(build):
    stock = build.stock(MUG=3, TEE=0)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.ship(fulfillment, stock, tracking_number="T1", MUG=1)
    deliver(build, fulfillment, "e1", "T1", hours=40)

    fulfillment.close(reason="TEE discontinued", occurred_at=build.at(hours=60), stock_by_sku=stock)

    assert (stock["MUG"].on_hand, stock["MUG"].reserved) == (2, 0)
    assert fulfillment.reserved == {}
    assert fulfillment.backordered == {}
    assert completions(fulfillment)[0].closed_short is True


def test_closing_with_nothing_sent_completes_short_at_the_close_time(build):
    stock = build.stock(MUG=0)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)

    fulfillment.close(reason="out of stock for good", occurred_at=build.at(hours=60), stock_by_sku=stock)

    [completed] = completions(fulfillment)
    assert completed.to_data()["shipments"] == 0
    assert completed.to_data()["lines_delivered"] == []
    assert completed.delivered_at == build.at(hours=60)
    assert completed.closed_short is True


def test_closing_while_a_shipment_is_in_transit_waits_for_its_delivery(build):
    stock = build.stock(MUG=1)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    build.ship(fulfillment, stock, tracking_number="T1", MUG=1)

    fulfillment.close(reason="the second mug will not come", occurred_at=build.at(hours=10), stock_by_sku=stock)
    assert completions(fulfillment) == []
    assert fulfillment.is_closing

    deliver(build, fulfillment, "e1", "T1", hours=40)

    [completed] = completions(fulfillment)
    assert completed.closed_short is True
    assert completed.delivered_at == build.at(hours=40)
    assert fulfillment.status == "closed_short"


def test_closing_while_the_last_shipment_is_in_transit_is_not_short_once_it_arrives(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    build.ship(fulfillment, stock, tracking_number="T1", MUG=2)
    fulfillment.close(reason="done on our side", occurred_at=build.at(hours=10), stock_by_sku=stock)

    deliver(build, fulfillment, "e1", "T1", hours=40)

    assert fulfillment.status == "completed"
    assert completions(fulfillment)[0].closed_short is False


def test_a_closing_fulfillment_completes_when_its_last_shipment_is_reported_lost(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    build.ship(fulfillment, stock, tracking_number="T1", MUG=2)
    fulfillment.close(reason="carrier lost it", occurred_at=build.at(hours=10), stock_by_sku=stock)

    fulfillment.record_scan("dhl", build.scan("e1", "exception", hours=30, tracking_number="T1", reason="lost"))

    [completed] = completions(fulfillment)
    assert completed.closed_short is True
    assert completed.delivered_at == build.at(hours=10)


def test_a_closing_or_closed_fulfillment_takes_no_more_work(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    fulfillment.close(reason="done", occurred_at=build.at(hours=10), stock_by_sku=stock)

    with pytest.raises(FulfillmentClosed):
        build.pack(fulfillment, MUG=1)
    with pytest.raises(FulfillmentClosed):
        fulfillment.close(reason="again", occurred_at=build.at(hours=11), stock_by_sku=stock)


def test_closing_a_cancelled_fulfillment_is_refused(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    fulfillment.cancel(reason="customer", occurred_at=build.at(hours=1), stock_by_sku=stock)

    with pytest.raises(AlreadyCancelled):
        fulfillment.close(reason="done", occurred_at=build.at(hours=10), stock_by_sku=stock)
