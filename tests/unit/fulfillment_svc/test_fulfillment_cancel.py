import pytest
from fulfillment_svc.domain.errors import AlreadyCancelled


def test_cancelling_releases_reserved_stock_drops_backorders_and_unsent_packages(build):
    stock = build.stock(MUG=1, TEE=5)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.pack(fulfillment, MUG=1, TEE=1)

    fulfillment.cancel(reason="customer changed mind", occurred_at=build.at(hours=3), stock_by_sku=stock)

    assert fulfillment.status == "cancelled"
    assert (stock["MUG"].reserved, stock["TEE"].reserved) == (0, 0)
    assert (stock["MUG"].on_hand, stock["TEE"].on_hand) == (1, 5)
    assert fulfillment.reserved == {}
    assert fulfillment.backordered == {}
    assert fulfillment.shipment("shp_1").status == "cancelled"
    assert fulfillment.backorder_of("MUG") is None


def test_a_shipment_dispatched_before_the_cancel_continues_to_be_tracked(build):
    stock = build.stock(MUG=5, TEE=5)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.ship(fulfillment, stock, tracking_number="T1", MUG=2)

    fulfillment.cancel(reason="customer", occurred_at=build.at(hours=3), stock_by_sku=stock)
    outcome = fulfillment.record_scan(
        "dhl", build.scan("e1", "delivered", hours=40, tracking_number="T1", condition="intact")
    )

    assert outcome.applied
    assert fulfillment.events[-1].type == "shipment.delivered.v1"
    assert (stock["MUG"].on_hand, stock["TEE"].reserved) == (3, 0)
    assert fulfillment.status == "cancelled"


def test_a_cancelled_fulfillment_never_completes(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    build.ship(fulfillment, stock, tracking_number="T1", MUG=2)
    fulfillment.cancel(reason="customer", occurred_at=build.at(hours=3), stock_by_sku=stock)

    fulfillment.record_scan("dhl", build.scan("e1", "delivered", hours=40, tracking_number="T1", condition="intact"))

    assert not any(e.type == "fulfillment.completed.v1" for e in fulfillment.events)


def test_cancelling_twice_changes_nothing_the_second_time(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    fulfillment.cancel(reason="customer", occurred_at=build.at(hours=3), stock_by_sku=stock)

    fulfillment.cancel(reason="again", occurred_at=build.at(hours=4), stock_by_sku=stock)

    assert (fulfillment.cancel_reason, fulfillment.cancelled_at) == ("customer", build.at(hours=3))
    assert stock["MUG"].reserved == 0


def test_cancelling_a_completed_fulfillment_changes_nothing(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=1), stock=stock)
    build.ship(fulfillment, stock, tracking_number="T1", MUG=1)
    fulfillment.record_scan("dhl", build.scan("e1", "delivered", hours=40, tracking_number="T1", condition="intact"))

    fulfillment.cancel(reason="too late", occurred_at=build.at(hours=50), stock_by_sku=stock)

    assert fulfillment.status == "completed"


def test_warehouse_work_on_a_cancelled_fulfillment_is_refused(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    build.pack(fulfillment, MUG=2)
    fulfillment.cancel(reason="customer", occurred_at=build.at(hours=3), stock_by_sku=stock)

    with pytest.raises(AlreadyCancelled) as refused:
        fulfillment.dispatch(
            shipment_id="shp_1",
            carrier="dhl",
            tracking_number="T1",
            occurred_at=build.at(hours=4),
            stock_by_sku=stock,
        )
    assert refused.value.code == "fulfillment_cancelled"
