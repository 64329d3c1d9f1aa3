"""The perfect order and its four components (kpis.md), one rule per test."""

from datetime import timedelta

from kpi_events import MONDAY, OrderStory, engine_after, figure, verdicts

DAY = timedelta(days=1)
NOW = MONDAY + 5 * DAY  # Saturday: every order below is delivered, claim windows still open
A2 = [{"sku": "SKU-A", "quantity": 2}]


def shipped(story: OrderStory, delivered_at=None, condition="intact", delivered=None, closed_short=False,
            discrepancies=(), promised_by=None) -> OrderStory:
    """Placed Monday, packed and dispatched Tuesday, delivered Thursday (unless told otherwise)."""
    delivered_at = delivered_at or MONDAY + 3 * DAY
    story.placed(promised_by=promised_by)
    story.invoiced(MONDAY + timedelta(minutes=5))
    story.packed(MONDAY + DAY, discrepancies=discrepancies)
    story.dispatched(MONDAY + DAY + timedelta(minutes=10))
    story.shipment_delivered(delivered_at, condition=condition, lines=delivered)
    story.completed(delivered_at, delivered=delivered, closed_short=closed_short)
    return story


def test_an_order_on_time_in_full_undamaged_and_documented_is_perfect():
    engine = engine_after(shipped(OrderStory()).events, NOW)
    assert figure(engine, "perfect_order", NOW) == (1, 1)
    for kpi in ("on_time_delivery", "in_full", "damage_free", "documentation_accuracy"):
        assert figure(engine, kpi, NOW) == (1, 1)
    assert engine.report("30d", NOW)["kpis"]["perfect_order_multiplicative"]["value"] == 1.0
    assert engine.failures("30d", NOW)["failures"] == []


def test_delivery_after_the_promise_is_late():
    story = shipped(OrderStory(), promised_by=MONDAY + 2 * DAY)
    engine = engine_after(story.events, NOW)
    assert verdicts(engine) == {"on_time": False, "in_full": True, "damage_free": True, "documentation": True}
    assert figure(engine, "perfect_order", NOW) == (0, 1)
    assert engine.scorecard("ord_1")["components"]["on_time"]["reason"] == "late"


def test_delivery_exactly_at_the_promise_is_on_time():
    story = shipped(OrderStory(), delivered_at=MONDAY + 3 * DAY, promised_by=MONDAY + 3 * DAY)
    assert verdicts(engine_after(story.events, NOW))["on_time"] is True


def test_an_order_closed_short_is_delivered_and_not_in_full():
    story = shipped(OrderStory(), delivered=[{"sku": "SKU-A", "quantity": 1}], closed_short=True)
    engine = engine_after(story.events, NOW)
    assert figure(engine, "in_full", NOW) == (0, 1)
    assert engine.scorecard("ord_1")["components"]["in_full"]["reason"] == "closed_short"


def test_fewer_units_delivered_than_ordered_is_not_in_full_even_without_closing_short():
    story = shipped(OrderStory(), delivered=[{"sku": "SKU-A", "quantity": 1}])
    engine = engine_after(story.events, NOW)
    assert engine.scorecard("ord_1")["components"]["in_full"]["reason"] == "short_quantity"


def test_a_split_shipment_delivered_in_full_is_in_full_but_not_filled_the_first_time():
    story = OrderStory()
    story.placed()
    story.dispatched(MONDAY + DAY, shipment="shp_1", lines=[{"sku": "SKU-A", "quantity": 1}])
    story.dispatched(MONDAY + 2 * DAY, shipment="shp_2", lines=[{"sku": "SKU-A", "quantity": 1}])
    story.shipment_delivered(MONDAY + 3 * DAY, shipment="shp_1", lines=[{"sku": "SKU-A", "quantity": 1}])
    story.shipment_delivered(MONDAY + 4 * DAY, shipment="shp_2", lines=[{"sku": "SKU-A", "quantity": 1}])
    story.completed(MONDAY + 4 * DAY, shipments=2)
    engine = engine_after(story.events, NOW)
    assert figure(engine, "in_full", NOW) == (1, 1)
    assert figure(engine, "first_time_fill_rate", NOW) == (1, 2)


def test_in_full_is_judged_against_the_quantities_after_an_accepted_correction():
    story = shipped(OrderStory(), delivered=[{"sku": "SKU-A", "quantity": 1}])
    story.corrected(MONDAY + timedelta(hours=1), lines=[{"sku": "SKU-A", "quantity": 1, "unit_price": "10.00"}])
    engine = engine_after(story.events, NOW)
    assert figure(engine, "in_full", NOW) == (1, 1)
    assert figure(engine, "order_entry_accuracy", NOW) == (0, 1)  # the correction makes entry inaccurate


def test_delivered_damaged_is_not_damage_free():
    engine = engine_after(shipped(OrderStory(), condition="damaged").events, NOW)
    card = engine.scorecard("ord_1")["components"]["damage_free"]
    assert (card["holds"], card["reason"]) == (False, "damaged_at_delivery")
    assert card["events"][0]["type"] == "orderpulse.shipment.delivered.v1"


def test_damage_reported_in_transit_is_not_damage_free():
    story = shipped(OrderStory())
    story.scan("shipment.exception.v1", MONDAY + 2 * DAY, reason="damaged_in_transit")
    assert verdicts(engine_after(story.events, NOW))["damage_free"] is False


def test_a_lost_parcel_exception_is_not_damage():
    story = shipped(OrderStory())
    story.scan("shipment.exception.v1", MONDAY + 2 * DAY, reason="lost")
    assert verdicts(engine_after(story.events, NOW))["damage_free"] is True


def test_a_damage_claim_within_the_claim_window_revises_the_counted_verdict():
    story = shipped(OrderStory())
    engine = engine_after(story.events, NOW)
    assert figure(engine, "perfect_order", NOW) == (1, 1)
    first = engine.drain_observations()
    assert ("order_delivered", "dhl", "standard", True) in first

    later = NOW + DAY  # five days after delivery: inside the seven-day claim window
    engine.apply(story.issue_opened(later, category="damaged"))
    engine.advance(later)
    assert figure(engine, "perfect_order", later) == (0, 1)
    assert figure(engine, "damage_free", later) == (0, 1)
    card = engine.scorecard("ord_1")
    assert card["revisions"][0]["component"] == "damage_free"
    assert (card["revisions"][0]["from"], card["revisions"][0]["to"]) == (True, False)
    observed = engine.drain_observations()
    assert ("revision", "damage_free") in observed
    assert ("component_failure", "damage_free", "dhl", "standard") in observed
    assert not any(item[0] == "order_delivered" for item in observed)


def test_a_damage_claim_after_the_claim_window_changes_nothing():
    story = shipped(OrderStory())
    late = MONDAY + 3 * DAY + 7 * DAY + timedelta(minutes=1)
    story.issue_opened(late, category="damaged")
    engine = engine_after(story.events, MONDAY + 10 * DAY)
    assert verdicts(engine)["damage_free"] is True
    assert engine.scorecard("ord_1")["revisions"] == []


def test_a_return_for_damage_within_the_claim_window_is_not_damage_free():
    story = shipped(OrderStory())
    story.return_requested(MONDAY + 4 * DAY, reason="damaged")
    engine = engine_after(story.events, NOW)
    assert engine.scorecard("ord_1")["components"]["damage_free"]["reason"] == "damage_return"


def test_a_return_for_a_changed_mind_is_no_damage():
    story = shipped(OrderStory())
    story.return_requested(MONDAY + 4 * DAY, reason="changed_mind")
    assert verdicts(engine_after(story.events, NOW))["damage_free"] is True


def test_a_document_discrepancy_on_the_pack_that_shipped_fails_documentation():
    engine = engine_after(shipped(OrderStory(), discrepancies=("invoice",)).events, NOW)
    card = engine.scorecard("ord_1")["components"]["documentation"]
    assert (card["holds"], card["reason"]) == (False, "document_discrepancy")


def test_a_clean_repack_before_dispatch_supersedes_a_pack_with_discrepancies():
    story = shipped(OrderStory(), discrepancies=("invoice",))
    story.packed(MONDAY + DAY + timedelta(minutes=5))  # the last pack before the 10-minute dispatch
    assert verdicts(engine_after(story.events, NOW))["documentation"] is True


def test_a_pack_after_the_dispatch_does_not_count_for_that_shipment():
    story = shipped(OrderStory())
    story.packed(MONDAY + 2 * DAY, discrepancies=("packing_slip",))
    assert verdicts(engine_after(story.events, NOW))["documentation"] is True


def test_a_documentation_issue_in_the_claim_window_fails_documentation():
    story = shipped(OrderStory())
    story.issue_opened(MONDAY + 4 * DAY, category="documentation")
    engine = engine_after(story.events, NOW)
    assert engine.scorecard("ord_1")["components"]["documentation"]["reason"] == "documentation_issue"


def test_a_billing_issue_fails_documentation_and_invoice_accuracy():
    story = shipped(OrderStory())
    story.issue_opened(MONDAY + 4 * DAY, category="billing")
    engine = engine_after(story.events, NOW)
    assert engine.scorecard("ord_1")["components"]["documentation"]["reason"] == "billing_issue"
    assert figure(engine, "invoice_accuracy", NOW) == (0, 1)


def test_a_cancelled_order_leaves_every_delivery_kpi():
    story = shipped(OrderStory())
    story.cancelled(MONDAY + 4 * DAY)
    engine = engine_after(story.events, NOW)
    for kpi in ("perfect_order", "on_time_delivery", "in_full", "damage_free", "documentation_accuracy",
                "invoice_accuracy"):
        assert figure(engine, kpi, NOW) == (0, 0), kpi
    assert engine.report("30d", NOW)["kpis"]["perfect_order"]["value"] is None
    assert verdicts(engine)["on_time"] is None


def test_the_multiplicative_figure_overstates_when_failures_fall_on_different_orders():
    late = shipped(OrderStory("ord_late"), promised_by=MONDAY + 2 * DAY)
    damaged = shipped(OrderStory("ord_damaged"), condition="damaged")
    engine = engine_after(late.events + damaged.events, NOW)
    kpis = engine.report("30d", NOW)["kpis"]
    assert kpis["perfect_order"]["value"] == 0.0
    multiplicative = kpis["perfect_order_multiplicative"]
    assert multiplicative["value"] == 0.25  # on time 1/2 x in full 1 x damage free 1/2 x docs 1
    assert (multiplicative["numerator"], multiplicative["denominator"]) == (0.5, 2)


def test_failures_are_counted_per_component_and_reason_largest_first():
    orders = [
        shipped(OrderStory("o1"), promised_by=MONDAY + 2 * DAY),
        shipped(OrderStory("o2"), promised_by=MONDAY + 2 * DAY, condition="damaged"),
        shipped(OrderStory("o3"), condition="damaged"),
        shipped(OrderStory("o4"), condition="damaged", discrepancies=("customs",)),
        shipped(OrderStory("o5")),
    ]
    engine = engine_after([e for story in orders for e in story.events], NOW)
    pareto = engine.failures("30d", NOW)
    assert (pareto["delivered"], pareto["perfect"], pareto["failed"]) == (5, 1, 4)
    assert pareto["failures"] == [
        {"component": "damage_free", "reason": "damaged_at_delivery", "orders": 3},
        {"component": "on_time", "reason": "late", "orders": 2},
        {"component": "documentation", "reason": "document_discrepancy", "orders": 1},
    ]
    assert list(pareto["components"].items())[0] == ("damage_free", 3)


def test_without_a_promise_from_the_storefront_the_default_promise_applies():
    story = OrderStory()
    story.placed(default_promise=True)  # standard: end of the 5th business day, Monday 23rd
    story.completed(MONDAY + 7 * DAY + timedelta(hours=13))  # Monday 23rd 23:00
    engine = engine_after(story.events, MONDAY + 8 * DAY)
    card = engine.scorecard("ord_1")
    assert card["facts"]["promised_by"] == "2026-11-23T23:59:59.999Z"
    assert card["facts"]["promise_source"] == "default"
    assert card["components"]["on_time"]["holds"] is True


def test_an_order_is_scored_once_its_placement_is_known_whatever_arrives_first():
    story = shipped(OrderStory())
    placed, rest = story.events[0], story.events[1:]
    engine = engine_after(rest, NOW)
    assert figure(engine, "perfect_order", NOW) == (0, 0)
    engine.apply(placed)
    assert figure(engine, "perfect_order", NOW) == (1, 1)
