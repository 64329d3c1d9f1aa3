from dataclasses import replace

from fulfillment_svc.domain.reconfirming import APPLIED, TOO_LATE, UNCHANGED, reconfirm, skus_touched


def test_a_changed_confirmation_before_packing_replaces_lines_and_replans_the_stock(build):
    stock = build.stock(MUG=3, TEE=5, CAP=1)
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    corrected = replace(build.order(MUG=3, CAP=2), ship_to={"country": "DE", "city": "Hamburg"})

    outcome = reconfirm(fulfillment, corrected, occurred_at=build.at(hours=1), stock_by_sku=stock)

    assert outcome == APPLIED
    assert fulfillment.lines == corrected.lines
    assert fulfillment.ship_to["city"] == "Hamburg"
    assert fulfillment.reserved == {"MUG": 3, "CAP": 1}
    assert fulfillment.backordered == {"CAP": 1}
    assert [(s.sku, s.reserved) for s in stock.values()] == [("MUG", 3), ("TEE", 0), ("CAP", 1)]
    assert [e.type for e in fulfillment.events] == ["fulfillment.created.v1", "inventory.backordered.v1"]
    assert fulfillment.events[0].fulfillment_id == fulfillment.fulfillment_id


def test_the_same_confirmation_again_changes_nothing(build):
    stock = build.stock(MUG=3, TEE=5)
    order = build.order(MUG=2, TEE=1)
    fulfillment = build.fulfillment(order, stock=stock)

    assert reconfirm(fulfillment, order, occurred_at=build.at(hours=1), stock_by_sku=stock) == UNCHANGED
    [answer] = fulfillment.events  # every confirmation is answered, so order-svc can pair them
    assert (answer.type, answer.lines) == ("fulfillment.created.v1", fulfillment.lines)
    assert stock["MUG"].reserved == 2


def test_a_confirmation_after_packing_or_cancelling_comes_too_late(build):
    stock = build.stock(MUG=5, TEE=5)
    packed = build.fulfillment(build.order(MUG=2, TEE=1), stock=stock)
    build.pack(packed, MUG=1)
    cancelled = build.fulfillment(build.order("ord_2", MUG=1), stock=stock, fulfillment_id="ful_2")
    cancelled.cancel(reason="customer", occurred_at=build.at(hours=1), stock_by_sku=stock)
    packed.events.clear()

    assert reconfirm(packed, build.order(MUG=4), occurred_at=build.at(hours=2), stock_by_sku=stock) == TOO_LATE
    assert reconfirm(cancelled, build.order("ord_2", MUG=3), occurred_at=build.at(hours=2), stock_by_sku=stock) == TOO_LATE
    assert packed.events == [] and packed.reserved == {"MUG": 2, "TEE": 1}


def test_the_stock_rows_a_reconfirmation_needs_are_the_old_and_the_new_skus(build):
    fulfillment = build.fulfillment(build.order(MUG=2, TEE=1))

    assert skus_touched(fulfillment, build.order(CAP=1)) == {"MUG", "TEE", "CAP"}
