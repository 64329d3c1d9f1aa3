import pytest
from fulfillment_svc.domain.errors import (
    AlreadyCancelled,
    AlreadyDispatched,
    InvalidQuantity,
    PackExceedsReserved,
    SkuNotOnOrder,
)


def test_packing_records_the_package_and_announces_it_with_its_documents(build):
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1))

    shipment = build.pack(fulfillment, "shp_1", MUG=2, TEE=1)

    assert fulfillment.status == "packing"
    assert shipment.document_discrepancies == ()
    [packed] = fulfillment.events
    assert packed.type == "fulfillment.packed.v1"
    assert packed.to_data() == {
        "fulfillment_id": "ful_1",
        "shipment_id": "shp_1",
        "order_id": "ord_1",
        "lines": [{"sku": "MUG", "quantity": 2}, {"sku": "TEE", "quantity": 1}],
        "documents": [{"kind": "invoice", "ref": "INV-1"}, {"kind": "packing_slip", "ref": "PS-1"}],
        "document_discrepancies": [],
    }


def test_document_totals_are_checked_against_the_order_unit_prices_of_the_packed_units(build):
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1))

    shipment = fulfillment.pack(
        shipment_id="shp_1",
        lines=build.lines(MUG=1),
        documents=[build.document("invoice", "INV-1", total="25.00", MUG=1)],
        occurred_at=build.at(hours=1),
    )

    [found] = shipment.document_discrepancies
    assert found.kind == "total_mismatch"
    assert "12.50" in found.detail


def test_a_pack_with_document_discrepancies_is_recorded_and_reports_them(build):
    fulfillment = build.fulfillment(build.order(MUG=2))

    shipment = fulfillment.pack(
        shipment_id="shp_1", lines=build.lines(MUG=2), documents=[], occurred_at=build.at(hours=1)
    )

    assert [d.kind for d in shipment.document_discrepancies] == ["missing_documents"]
    assert fulfillment.events[-1].to_data()["document_discrepancies"] == [
        {"kind": "missing_documents", "detail": "the package has no documents"}
    ]


def test_packing_the_same_shipment_again_before_dispatch_replaces_it(build):
    fulfillment = build.fulfillment(build.order(MUG=2))
    fulfillment.pack(shipment_id="shp_1", lines=build.lines(MUG=2), documents=[], occurred_at=build.at(hours=1))

    fixed = build.pack(fulfillment, "shp_1", hours=2, MUG=2)

    assert fixed.document_discrepancies == ()
    assert [s.shipment_id for s in fulfillment.shipments] == ["shp_1"]
    assert fulfillment.packed_not_dispatched == {"MUG": 2}


def test_packing_a_dispatched_shipment_again_is_refused(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    build.ship(fulfillment, stock, "shp_1", MUG=1)

    with pytest.raises(AlreadyDispatched):
        build.pack(fulfillment, "shp_1", MUG=1)


def test_packing_units_that_are_backordered_is_refused(build):
    stock = build.stock(MUG=1)
    fulfillment = build.fulfillment(build.order(MUG=3), stock=stock)

    with pytest.raises(PackExceedsReserved) as refused:
        build.pack(fulfillment, MUG=2)

    assert refused.value.field == "lines.quantity"
    assert "1 reserved" in refused.value.detail
    assert "2 awaiting stock" in refused.value.detail
    assert fulfillment.shipments == []
    assert fulfillment.events == []


def test_two_packages_together_cannot_hold_more_than_is_reserved(build):
    fulfillment = build.fulfillment(build.order(MUG=3))
    build.pack(fulfillment, "shp_1", MUG=2)

    with pytest.raises(PackExceedsReserved):
        build.pack(fulfillment, "shp_2", MUG=2)
    build.pack(fulfillment, "shp_2", MUG=1)


def test_packing_a_sku_that_is_not_on_the_order_is_refused(build):
    fulfillment = build.fulfillment(build.order(MUG=2))

    with pytest.raises(SkuNotOnOrder):
        build.pack(fulfillment, CAP=1)


def test_an_empty_pack_is_refused(build):
    fulfillment = build.fulfillment(build.order(MUG=2))

    with pytest.raises(InvalidQuantity):
        fulfillment.pack(shipment_id="shp_1", lines=[], documents=[], occurred_at=build.at(hours=1))


def test_packing_a_cancelled_fulfillment_is_refused(build):
    stock = build.stock(MUG=5)
    fulfillment = build.fulfillment(build.order(MUG=2), stock=stock)
    fulfillment.cancel(reason="customer", occurred_at=build.at(hours=1), stock_by_sku=stock)

    with pytest.raises(AlreadyCancelled):
        build.pack(fulfillment, MUG=2)
