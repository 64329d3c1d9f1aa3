"""The tally counts with kpis.md's definitions, so its figures can agree with kpi-svc's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from orderpulse.simulator.measures import Window, measure, ship_verdict
from orderpulse.simulator.report import kpi_svc_measures
from orderpulse.simulator.tally import OrderRecord, ShiftRecord, ShipmentRecord, Tally, money, ms

HOUR, DAY = 3_600_000, 86_400_000
T0 = ms(datetime(2026, 11, 2, 10, 0, tzinfo=UTC))  # a Monday
AS_OF = T0 + 20 * DAY


def order(index: int = 1, ordered: dict | None = None, **changes) -> OrderRecord:
    record = OrderRecord(index=index, order_id=f"ord_{index}", tier="standard", channel="web",
                         service_level="standard", placed_ms=T0, promised_ms=T0 + 5 * DAY,
                         ship_deadline_ms=T0 + 2 * DAY, ordered=ordered or {"MUG-1": 2, "CAP-1": 1}, status="confirmed")
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def shipped(record: OrderRecord, lines: dict | None = None, *, at: int = T0 + DAY, documents_ok: bool = True,
            delivered_at: int | None = T0 + 3 * DAY, condition: str = "intact", cost: str = "6.90") -> ShipmentRecord:
    shipment = ShipmentRecord(f"shp-{record.index}-{len(record.shipments) + 1}", dict(lines or record.ordered),
                              documents_ok, at - HOUR, dispatched_ms=at, carrier="dhl", shipping_cost=money(cost))
    if delivered_at is not None:
        shipment.delivered_ms, shipment.condition = delivered_at, condition
    record.shipments[shipment.shipment_id] = shipment
    return shipment


def figures(*records: OrderRecord, shifts=(), as_of: int = AS_OF, window: str = "30d") -> dict:
    tally = Tally()
    for record in records:
        tally.add(record)
    tally.shifts.extend(shifts)
    return {kpi: (m.numerator, m.denominator) for kpi, m in measure(tally, Window.ending(window, as_of)).items()}


def test_a_clean_order_is_perfect_on_every_count():
    clean = order()
    shipped(clean)
    result = figures(clean)
    for kpi in ("perfect_order", "on_time_delivery", "in_full", "damage_free", "documentation_accuracy",
                "invoice_accuracy", "shipped_within_sla", "order_entry_accuracy"):
        assert result[kpi] == (1, 1), kpi
    assert result["first_time_fill_rate"] == (3, 3)
    assert clean.expected_status() == "delivered"


def test_an_order_is_delivered_only_when_every_unit_arrived():
    split = order()
    shipped(split, {"MUG-1": 2})
    second = shipped(split, {"CAP-1": 1}, at=T0 + 2 * DAY, delivered_at=None)
    assert split.completion() is None and split.expected_status() == "shipped"
    second.delivered_ms = T0 + 4 * DAY
    assert split.completion() == (T0 + 4 * DAY, False)


def test_delivered_after_the_promise_is_late():
    late = order()
    shipped(late, delivered_at=T0 + 5 * DAY + 1)
    exactly = order(2)
    shipped(exactly, delivered_at=T0 + 5 * DAY)
    assert figures(late, exactly)["on_time_delivery"] == (1, 2)


def test_closed_short_is_delivered_not_in_full_and_its_invoice_is_wrong():
    short = order(closed_ms=T0 + DAY + 60_000)
    shipped(short, {"MUG-1": 1, "CAP-1": 1})
    assert short.completion() == (T0 + 3 * DAY, True)
    result = figures(short)
    assert result["in_full"] == (0, 1) and result["invoice_accuracy"] == (0, 1) and result["perfect_order"] == (0, 1)
    assert result["first_time_fill_rate"] == (2, 3)


def test_a_fulfillment_closed_with_a_parcel_still_travelling_completes_when_it_arrives():
    short = order(closed_ms=T0 + DAY + 60_000)
    parcel = shipped(short, {"MUG-1": 1}, delivered_at=None)
    assert short.completion() is None
    parcel.delivered_ms = T0 + 2 * DAY
    assert short.completion() == (T0 + 2 * DAY, True)


@pytest.mark.parametrize(("condition", "in_transit"), [("damaged", False), ("intact", True)])
def test_carrier_damage_fails_damage_free(condition, in_transit):
    damaged = order()
    shipped(damaged, condition=condition).damaged_in_transit = in_transit
    assert figures(damaged)["damage_free"] == (0, 1)


def test_a_damage_claim_counts_only_within_seven_days_of_delivery():
    inside, outside = order(1), order(2)
    shipped(inside)
    shipped(outside)
    inside.damage_claims_ms.append(T0 + 3 * DAY + 7 * DAY)
    outside.damage_claims_ms.append(T0 + 3 * DAY + 7 * DAY + 1)
    assert figures(inside, outside)["damage_free"] == (1, 2)


def test_documentation_fails_only_when_a_parcel_left_with_wrong_documents():
    overridden, repacked = order(1), order(2)
    shipped(overridden, documents_ok=False)
    shipped(repacked, documents_ok=True)  # the last pack before dispatch was right
    assert figures(overridden, repacked)["documentation_accuracy"] == (1, 2)


def test_entry_accuracy_counts_every_placed_order_and_fails_held_or_corrected_ones():
    clean, held, paid_late = order(1), order(2, entry_fault=True, corrected=True), order(3, payment_failed=True)
    cancelled = order(4, cancelled_ms=T0 + HOUR)
    assert figures(clean, held, paid_late, cancelled)["order_entry_accuracy"] == (3, 4)


def test_ship_sla_success_at_dispatch_failure_at_the_deadline():
    on_time, late = order(1), order(2)
    shipped(on_time, at=T0 + 2 * DAY)
    shipped(late, at=T0 + 2 * DAY + 1)
    assert ship_verdict(on_time, AS_OF) == (True, T0 + 2 * DAY)
    assert ship_verdict(late, AS_OF) == (False, T0 + 2 * DAY)


def test_cancelled_before_the_deadline_leaves_the_ship_sla_and_after_it_fails():
    early, after = order(1, cancelled_ms=T0 + DAY), order(2, cancelled_ms=T0 + 3 * DAY)
    assert ship_verdict(early, AS_OF) is None
    assert ship_verdict(after, AS_OF) == (False, T0 + 2 * DAY)
    assert early.completion() is None and early.expected_status() == "cancelled"


def test_an_undispatched_order_fails_the_ship_sla_once_its_deadline_passed():
    waiting = order()
    assert ship_verdict(waiting, T0 + 2 * DAY) is None
    assert ship_verdict(waiting, T0 + 2 * DAY + 1) == (False, T0 + 2 * DAY)


def test_first_time_fill_counts_the_first_parcel_capped_at_what_was_ordered():
    split = order()
    shipped(split, {"MUG-1": 3}, at=T0 + DAY)  # one more than ordered earns nothing
    shipped(split, {"CAP-1": 1}, at=T0 + 2 * DAY)
    assert figures(split)["first_time_fill_rate"] == (2, 3)


def test_kpis_land_in_the_window_that_holds_their_time_of_record():
    old = order()
    shipped(old, delivered_at=T0 + 3 * DAY)
    as_of = T0 + 3 * DAY + HOUR + 30_000
    assert figures(old, as_of=as_of, window="1h")["perfect_order"] == (0, 0)
    assert figures(old, as_of=as_of, window="24h")["perfect_order"] == (1, 1)
    assert figures(old, as_of=as_of, window="24h")["order_entry_accuracy"] == (0, 0)


def test_a_window_is_the_last_minutes_up_to_the_one_holding_now():
    window = Window.ending("1h", ms(datetime(2026, 11, 2, 10, 30, 20, tzinfo=UTC)))
    assert window.start_ms == ms(datetime(2026, 11, 2, 9, 31, tzinfo=UTC))
    assert window.end_ms == ms(datetime(2026, 11, 2, 10, 31, tzinfo=UTC))


def test_labor_hours_and_cost_per_order_come_from_shifts_and_shipping():
    one = order()
    shipped(one, cost="6.90")
    shift = ShiftRecord("wh-1", "s1", T0, T0 + 8 * HOUR, 3, money("24.50"))
    result = figures(one, shifts=[shift])
    assert result["orders_per_labor_hour"] == (1, 24)
    assert result["cost_per_order"] == (pytest.approx(24 * 24.50 + 6.90), 1)


def test_the_multiplicative_perfect_order_is_the_product_of_the_components():
    late, damaged = order(1), order(2)
    shipped(late, delivered_at=T0 + 6 * DAY)
    shipped(damaged, condition="damaged")
    result = figures(late, damaged)
    assert result["perfect_order"] == (0, 2)
    assert result["perfect_order_multiplicative"] == (pytest.approx(0.5 * 0.5 * 2), 2)


def test_status_follows_what_was_dispatched_and_delivered():
    record = order(fulfillment_id="ful_1")
    assert record.expected_status() == "in_fulfillment"
    shipped(record, {"MUG-1": 2}, delivered_at=None)
    assert record.expected_status() == "partially_shipped"


def test_kpi_svc_figures_are_compared_less_what_it_had_before_the_run():
    def report(perfect, delivered, on_time):
        kpis = {kpi: {"numerator": delivered, "denominator": delivered} for kpi in
                ("in_full", "damage_free", "documentation_accuracy")}
        kpis["perfect_order"] = {"numerator": perfect, "denominator": delivered}
        kpis["on_time_delivery"] = {"numerator": on_time, "denominator": delivered}
        kpis["perfect_order_multiplicative"] = {"numerator": on_time, "denominator": delivered}
        return {"kpis": kpis}

    theirs = kpi_svc_measures(report(15, 20, 15), baseline=report(10, 10, 10))
    assert (theirs["perfect_order"].numerator, theirs["perfect_order"].denominator) == (5, 10)
    assert theirs["perfect_order_multiplicative"].numerator == pytest.approx(5.0)  # 5/10 on time, the rest whole
