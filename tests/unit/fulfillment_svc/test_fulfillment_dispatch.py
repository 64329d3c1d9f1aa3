from decimal import Decimal

import pytest
from fulfillment_svc.domain.errors import (
    AlreadyCancelled,
    AlreadyDispatched,
    DispatchBlockedByDiscrepancies,
    InvalidInput,
    ShipmentNotFound,
    TrackingNumberInUse,
)


def dispatch(build, fulfillment, stock, shipment_id="shp_1", **overrides):
    arguments = {
        "shipment_id": shipment_id,
        "carrier": "dhl",
        "tracking_number": "1Z001",
        "occurred_at": build.at(hours=2),
        "stock_by_sku": stock,
        "eta": build.at(days=3),
    }
    return fulfillment.dispatch(**(arguments | overrides))


def test_dispatch_announces_the_shipment_with_its_order_lines_promise_and_cost(build):
    stock = build.stock(MUG=5, TEE=5)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.pack(fulfillment, "shp_1", MUG=2, TEE=1)

    dispatch(build, fulfillment, stock, eta=build.at(days=3), shipping_cost=Decimal("4.90"))

    dispatched = fulfillment.events[-1]
    assert dispatched.type == "shipment.dispatched.v1"
    assert dispatched.occurred_at == build.at(hours=2)
    assert dispatched.to_data() == {
        "shipment_id": "shp_1",
        "order_id": "ord_1",
        "warehouse_id": build.warehouse,
        "carrier": "dhl",
        "tracking_number": "1Z001",
        "lines": [
            {"line_id": "ord_1_l1", "sku": "MUG", "quantity": 2, "unit_price": "12.50"},
            {"line_id": "ord_1_l2", "sku": "TEE", "quantity": 1, "unit_price": "20.00"},
        ],
        "promised_by": "2026-11-25T09:00:00.000Z",
        "eta": "2026-11-23T09:00:00.000Z",
        "shipping_cost": "4.90",
    }


def test_dispatch_without_a_cost_leaves_the_cost_out(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=1), stock=stock)
    build.pack(fulfillment, MUG=1)

    dispatch(build, fulfillment, stock)

    assert "shipping_cost" not in fulfillment.events[-1].to_data()


def test_dispatch_without_an_eta_is_refused_because_the_catalog_requires_one(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=1), stock=stock)
    build.pack(fulfillment, MUG=1)

    with pytest.raises(InvalidInput) as refused:
        dispatch(build, fulfillment, stock, eta=None)

    assert refused.value.field == "eta"
    assert fulfillment.shipment("shp_1").is_packed


def test_dispatch_takes_the_shipped_units_out_of_stock(build):
    stock = build.stock(MUG=5, TEE=5)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.pack(fulfillment, MUG=2)

    dispatch(build, fulfillment, stock)

    assert (stock["MUG"].on_hand, stock["MUG"].reserved, stock["MUG"].available) == (3, 0, 3)
    assert (stock["TEE"].on_hand, stock["TEE"].reserved) == (5, 1)
    assert fulfillment.reserved == {"TEE": 1}
    assert fulfillment.dispatched == {"MUG": 2}
    assert fulfillment.status == "partially_dispatched"


def test_a_fulfillment_is_dispatched_when_nothing_is_left_to_send(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    build.ship(fulfillment, stock, MUG=2)

    assert fulfillment.status == "dispatched"


def test_dispatch_of_a_package_with_discrepancies_is_refused(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    fulfillment.pack(shipment_id="shp_1", lines=build.lines(MUG=2), documents=[], occurred_at=build.at(hours=1))

    with pytest.raises(DispatchBlockedByDiscrepancies) as refused:
        dispatch(build, fulfillment, stock)

    assert [d.kind for d in refused.value.discrepancies] == ["missing_documents"]
    assert refused.value.field == "override"
    assert stock["MUG"].on_hand == 5
    assert fulfillment.shipment("shp_1").is_packed


def test_dispatch_with_override_ships_despite_discrepancies_and_remembers_it(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    fulfillment.pack(shipment_id="shp_1", lines=build.lines(MUG=2), documents=[], occurred_at=build.at(hours=1))

    shipment = dispatch(build, fulfillment, stock, override=True)

    assert shipment.is_dispatched
    assert shipment.dispatched_with_override
    assert [d.kind for d in shipment.document_discrepancies] == ["missing_documents"]


def test_repacking_with_corrected_documents_unblocks_dispatch(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    fulfillment.pack(shipment_id="shp_1", lines=build.lines(MUG=2), documents=[], occurred_at=build.at(hours=1))
    build.pack(fulfillment, "shp_1", hours=1.5, MUG=2)

    shipment = dispatch(build, fulfillment, stock)

    assert shipment.is_dispatched
    assert not shipment.dispatched_with_override


def test_dispatch_of_an_unknown_shipment_is_refused(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)

    with pytest.raises(ShipmentNotFound):
        dispatch(build, fulfillment, stock, shipment_id="shp_nope")


def test_dispatching_the_same_shipment_twice_is_refused(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    build.ship(fulfillment, stock, MUG=2)

    with pytest.raises(AlreadyDispatched):
        dispatch(build, fulfillment, stock, tracking_number="1Z002")
    assert stock["MUG"].on_hand == 3


def test_a_package_dropped_by_a_close_or_cancel_cannot_be_dispatched(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    build.pack(fulfillment, MUG=1)
    fulfillment.cancel(reason="customer", occurred_at=build.at(hours=1), stock_by_sku=stock)

    assert fulfillment.shipment("shp_1").status == "cancelled"
    with pytest.raises(AlreadyCancelled):
        dispatch(build, fulfillment, stock)


def test_one_tracking_number_cannot_track_two_shipments_of_an_order(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    build.ship(fulfillment, stock, "shp_1", MUG=1)
    build.pack(fulfillment, "shp_2", MUG=1)

    with pytest.raises(TrackingNumberInUse):
        dispatch(build, fulfillment, stock, shipment_id="shp_2", tracking_number="1Z001")
