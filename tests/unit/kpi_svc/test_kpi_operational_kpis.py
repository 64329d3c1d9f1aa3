"""The KPIs beside the perfect order (kpis.md, "The other KPIs"), one rule per test."""

from datetime import timedelta

from kpi_events import MONDAY, OrderStory, engine_after, figure, shift

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
DEADLINE = MONDAY + 2 * DAY  # placed Monday 10:00: ship by Wednesday 10:00
NOW = MONDAY + 5 * DAY


# --- shipped_within_sla --------------------------------------------------------------------
def test_a_dispatch_by_the_deadline_is_within_sla_at_the_dispatch_time():
    story = OrderStory()
    story.placed()
    story.dispatched(DEADLINE)
    engine = engine_after(story.events, NOW)
    assert figure(engine, "shipped_within_sla", NOW) == (1, 1)
    assert engine.scorecard("ord_1")["kpis"]["shipped_within_sla"]["at"] == "2026-11-18T10:00:00.000Z"


def test_a_late_dispatch_fails_and_counts_at_the_deadline():
    story = OrderStory()
    story.placed()
    story.dispatched(DEADLINE + MINUTE)
    engine = engine_after(story.events, NOW)
    card = engine.scorecard("ord_1")["kpis"]["shipped_within_sla"]
    assert (card["holds"], card["at"], card["reason"]) == (False, "2026-11-18T10:00:00.000Z", "dispatched_late")


def test_an_order_never_shipped_fails_the_moment_its_deadline_passes():
    story = OrderStory()
    story.placed()
    engine = engine_after(story.events)
    engine.advance(DEADLINE)
    assert figure(engine, "shipped_within_sla", DEADLINE) == (0, 0)  # not passed yet: still within
    engine.advance(DEADLINE + timedelta(milliseconds=1))
    assert figure(engine, "shipped_within_sla", DEADLINE + MINUTE) == (0, 1)
    reason = engine.scorecard("ord_1")["kpis"]["shipped_within_sla"]["reason"]
    assert reason == "deadline_passed_undispatched"


def test_a_late_dispatch_after_the_deadline_passed_stays_a_failure_in_the_same_bucket():
    story = OrderStory()
    story.placed()
    engine = engine_after(story.events, DEADLINE + HOUR)
    before = engine.report("24h", DEADLINE + HOUR)["kpis"]["shipped_within_sla"]
    engine.apply(story.dispatched(DEADLINE + 2 * HOUR))
    after = engine.report("24h", DEADLINE + HOUR)["kpis"]["shipped_within_sla"]
    assert before == after and (after["numerator"], after["denominator"]) == (0, 1)


def test_an_order_cancelled_before_its_deadline_is_excluded():
    story = OrderStory()
    story.placed()
    story.cancelled(MONDAY + DAY)
    engine = engine_after(story.events, NOW)
    assert figure(engine, "shipped_within_sla", NOW) == (0, 0)


def test_an_order_cancelled_after_its_deadline_passed_unshipped_is_a_failure():
    story = OrderStory()
    story.placed()
    story.cancelled(DEADLINE + HOUR)
    engine = engine_after(story.events, NOW)
    assert figure(engine, "shipped_within_sla", NOW) == (0, 1)


# --- order_entry_accuracy --------------------------------------------------------------------
def test_an_order_placed_cleanly_is_accurately_entered():
    story = OrderStory()
    story.placed()
    assert figure(engine_after(story.events, NOW), "order_entry_accuracy", NOW) == (1, 1)


def test_an_order_placed_with_entry_discrepancies_is_not_accurately_entered():
    story = OrderStory()
    story.placed(entry_discrepancies=[{"code": "price_mismatch", "field": "lines", "detail": "x"}])
    assert figure(engine_after(story.events, NOW), "order_entry_accuracy", NOW) == (0, 1)


def test_a_hold_for_an_entry_discrepancy_makes_entry_inaccurate_but_a_payment_hold_does_not():
    held = OrderStory("ord_held")
    held.placed()
    held.held(MONDAY + MINUTE, codes=("unknown_sku",))
    payment = OrderStory("ord_payment")
    payment.placed()
    payment.held(MONDAY + MINUTE, codes=("payment_failed",))
    engine = engine_after(held.events + payment.events, NOW)
    assert figure(engine, "order_entry_accuracy", NOW) == (1, 2)
    faults = engine.scorecard("ord_held")["kpis"]["order_entry_accuracy"]
    assert faults["holds"] is False and faults["events"][0]["reason"] == "held_unknown_sku"


def test_a_correction_after_entry_makes_entry_inaccurate_and_counts_at_placed_time():
    story = OrderStory()
    story.placed()
    story.corrected(MONDAY + 2 * DAY)
    engine = engine_after(story.events, NOW)
    assert figure(engine, "order_entry_accuracy", NOW, window="7d") == (0, 1)
    assert figure(engine, "order_entry_accuracy", MONDAY + 2 * DAY + HOUR, window="24h") == (0, 0)


def test_cancelled_orders_still_count_for_entry_accuracy():
    story = OrderStory()
    story.placed()
    story.cancelled(MONDAY + HOUR)
    assert figure(engine_after(story.events, NOW), "order_entry_accuracy", NOW) == (1, 1)


# --- invoice_accuracy --------------------------------------------------------------------------
def delivered_with_invoice(invoice_lines=None) -> OrderStory:
    story = OrderStory()
    story.placed()
    if invoice_lines is not False:
        story.invoiced(MONDAY + HOUR, lines=invoice_lines)
    story.completed(MONDAY + 3 * DAY)
    return story


def test_an_invoice_of_the_delivered_quantities_at_the_ordered_prices_is_accurate():
    assert figure(engine_after(delivered_with_invoice().events, NOW), "invoice_accuracy", NOW) == (1, 1)


def test_an_invoice_with_other_quantities_than_delivered_is_inaccurate():
    lines = [{"line_id": "l1", "sku": "SKU-A", "quantity": 3, "unit_price": "10.00"}]
    engine = engine_after(delivered_with_invoice(lines).events, NOW)
    assert figure(engine, "invoice_accuracy", NOW) == (0, 1)
    assert engine.scorecard("ord_1")["kpis"]["invoice_accuracy"]["faults"] == ["quantity_mismatch"]


def test_an_invoice_at_another_price_is_inaccurate_but_equal_decimals_are_equal_prices():
    wrong = [{"line_id": "l1", "sku": "SKU-A", "quantity": 2, "unit_price": "9.99"}]
    same = [{"line_id": "l1", "sku": "SKU-A", "quantity": 2, "unit_price": "10.0"}]
    assert figure(engine_after(delivered_with_invoice(wrong).events, NOW), "invoice_accuracy", NOW) == (0, 1)
    assert figure(engine_after(delivered_with_invoice(same).events, NOW), "invoice_accuracy", NOW) == (1, 1)


def test_the_last_invoice_is_the_one_judged():
    story = delivered_with_invoice([{"line_id": "l1", "sku": "SKU-A", "quantity": 3, "unit_price": "10.00"}])
    story.invoiced(MONDAY + 2 * HOUR)  # a corrected invoice
    assert figure(engine_after(story.events, NOW), "invoice_accuracy", NOW) == (1, 1)


def test_a_delivered_order_never_invoiced_is_not_in_invoice_accuracy():
    assert figure(engine_after(delivered_with_invoice(False).events, NOW), "invoice_accuracy", NOW) == (0, 0)


# --- first_time_fill_rate, labor, cost -------------------------------------------------------
def test_first_time_fill_counts_units_of_the_first_shipment_against_units_ordered():
    story = OrderStory()
    story.placed(lines=[{"line_id": "l1", "sku": "A", "quantity": 3, "unit_price": "1"},
                        {"line_id": "l2", "sku": "B", "quantity": 1, "unit_price": "1"}])
    story.dispatched(MONDAY + DAY, shipment="s1", lines=[{"sku": "A", "quantity": 5}])  # over-shipped A counts 3
    story.dispatched(MONDAY + 2 * DAY, shipment="s2", lines=[{"sku": "B", "quantity": 1}])
    assert figure(engine_after(story.events, NOW), "first_time_fill_rate", NOW) == (3, 4)


def test_orders_per_labor_hour_and_cost_per_order_add_labor_shipping_and_notifications():
    story = OrderStory()
    story.placed()
    story.dispatched(MONDAY + DAY, shipping_cost="6.50")
    story.notification(MONDAY + DAY + MINUTE, MONDAY + DAY, unit_cost="0.02")
    labor = shift("wh_berlin", "early", MONDAY + DAY - 4 * HOUR, MONDAY + DAY + 4 * HOUR, staff=2, hourly_cost="15.00")
    engine = engine_after(story.events + [labor], NOW)
    kpis = engine.report("7d", NOW)["kpis"]
    assert (kpis["orders_per_labor_hour"]["numerator"], kpis["orders_per_labor_hour"]["denominator"]) == (1, 16.0)
    assert kpis["orders_per_labor_hour"]["value"] == 1 / 16
    # 16 labor hours x 15.00 + 6.50 shipping + 0.02 notification
    assert kpis["cost_per_order"]["numerator"] == 246.52
    assert kpis["cost_per_order"]["value"] == 246.52
    assert kpis["cost_per_order"]["target"] is None and kpis["cost_per_order"]["meets_target"] is None


def test_labor_hours_belong_to_their_warehouse_group_only():
    story = OrderStory()
    story.placed()
    story.dispatched(MONDAY + DAY, warehouse="wh_berlin", carrier="dhl")
    labor = shift("wh_berlin", "early", MONDAY + DAY - 4 * HOUR, MONDAY + DAY + 4 * HOUR)
    engine = engine_after(story.events + [labor], NOW)
    by_warehouse = engine.report("7d", NOW, by="warehouse")["groups"]
    assert by_warehouse["wh_berlin"]["kpis"]["orders_per_labor_hour"]["denominator"] == 16.0
    by_carrier = engine.report("7d", NOW, by="carrier")["groups"]
    assert by_carrier["dhl"]["kpis"]["orders_per_labor_hour"]["value"] is None


def test_a_shift_recorded_again_replaces_the_earlier_record():
    first = shift("wh_berlin", "early", MONDAY, MONDAY + 8 * HOUR, staff=2)
    again = shift("wh_berlin", "early", MONDAY, MONDAY + 8 * HOUR, staff=3)
    again["time"] = "2026-11-16T18:30:00.000Z"
    engine = engine_after([first, again, first], NOW)
    assert engine.report("7d", NOW)["kpis"]["orders_per_labor_hour"]["denominator"] == 24.0


# --- csat -----------------------------------------------------------------------------------
def test_csat_counts_responses_of_four_or_five_among_all_responses():
    story = OrderStory()
    for number, score in enumerate([5, 4, 3, 1], start=1):
        story.feedback(MONDAY + number * HOUR, score, survey_id=f"srv_{number}")
    engine = engine_after(story.events, NOW)
    assert figure(engine, "csat", NOW) == (2, 4)
    observed = sorted(item for item in engine.drain_observations() if item[0] == "survey_response")
    assert observed == [("survey_response", "1"), ("survey_response", "3"), ("survey_response", "4"),
                        ("survey_response", "5")]


def test_a_second_answer_to_the_same_survey_is_not_a_second_response():
    story = OrderStory()
    story.feedback(MONDAY + HOUR, 5)
    story.feedback(MONDAY + 2 * HOUR, 1)
    assert figure(engine_after(story.events, NOW), "csat", NOW) == (1, 1)


# --- issues -----------------------------------------------------------------------------------
def issue(ack_after=None, resolve_after=None, breached=None) -> OrderStory:
    story = OrderStory()
    story.placed()
    story.issue_opened(MONDAY + HOUR, category="late")
    if ack_after is not None:
        story.issue_acknowledged(MONDAY + HOUR + ack_after)
    if resolve_after is not None:
        story.issue_resolved(MONDAY + HOUR + resolve_after)
    if breached is not None:
        story.issue_breached(MONDAY + HOUR + 24 * HOUR, clock=breached)
    return story


def test_an_issue_acknowledged_and_resolved_in_time_meets_both_slas():
    engine = engine_after(issue(ack_after=HOUR, resolve_after=30 * HOUR).events, NOW)
    assert figure(engine, "issue_ack_within_sla", NOW) == (1, 1)
    assert figure(engine, "issue_resolved_within_sla", NOW) == (1, 1)


def test_an_issue_acknowledged_late_fails_at_its_ack_due():
    engine = engine_after(issue(ack_after=25 * HOUR).events, MONDAY + HOUR + 30 * HOUR)
    assert figure(engine, "issue_ack_within_sla", NOW) == (0, 1)
    # counted at ack_due (Tuesday 11:00), so a 1h window ending just after it sees it
    assert figure(engine, "issue_ack_within_sla", MONDAY + 25 * HOUR + MINUTE, window="1h") == (0, 1)


def test_an_issue_never_acknowledged_fails_when_its_ack_due_passes():
    engine = engine_after(issue().events, MONDAY + 2 * HOUR)
    assert figure(engine, "issue_ack_within_sla", MONDAY + 2 * HOUR) == (0, 0)
    engine.advance(MONDAY + 25 * HOUR + MINUTE)
    assert figure(engine, "issue_ack_within_sla", MONDAY + 26 * HOUR) == (0, 1)
    engine.advance(MONDAY + 49 * HOUR + MINUTE)
    assert figure(engine, "issue_resolved_within_sla", MONDAY + 50 * HOUR) == (0, 1)
    observed = [item for item in engine.drain_observations() if item[0] == "issue_sla_breach"]
    assert observed == [("issue_sla_breach", "ack", "late"), ("issue_sla_breach", "resolve", "late")]


def test_resolving_an_issue_in_time_acknowledges_it_too():
    engine = engine_after(issue(resolve_after=2 * HOUR).events, NOW)
    assert figure(engine, "issue_ack_within_sla", NOW) == (1, 1)


def test_a_breach_event_counts_even_before_the_engine_clock_reaches_the_due_time():
    engine = engine_after(issue(breached="ack").events, MONDAY + 2 * HOUR)
    assert figure(engine, "issue_ack_within_sla", MONDAY + 26 * HOUR) == (0, 1)


def test_a_breach_observation_is_emitted_once_however_the_breach_is_learned():
    story = issue(ack_after=26 * HOUR, breached="ack")
    engine = engine_after(story.events, NOW)
    engine.flush()
    breaches = [item for item in engine.drain_observations() if item[:2] == ("issue_sla_breach", "ack")]
    assert breaches == [("issue_sla_breach", "ack", "late")]


# --- notifications --------------------------------------------------------------------------
def test_a_notification_sent_within_five_minutes_of_its_trigger_is_timely():
    story = OrderStory()
    story.notification(MONDAY + 5 * MINUTE, MONDAY, milestone="order_confirmed")
    story.notification(MONDAY + 5 * MINUTE + timedelta(seconds=1), MONDAY, milestone="shipped")
    engine = engine_after(story.events, NOW)
    assert figure(engine, "notification_timeliness", NOW) == (1, 2)


def test_a_notification_about_a_milestone_already_overtaken_is_not_an_accurate_status():
    story = OrderStory()
    story.placed()
    story.dispatched(MONDAY + DAY)
    story.scan("shipment.out_for_delivery.v1", MONDAY + DAY + 10 * MINUTE)
    story.notification(MONDAY + DAY + 12 * MINUTE, MONDAY + DAY, milestone="shipped")  # stale
    story.notification(MONDAY + DAY + 13 * MINUTE, MONDAY + DAY + 10 * MINUTE, milestone="out_for_delivery")
    engine = engine_after(story.events, NOW)
    assert figure(engine, "status_communication_accuracy", NOW) == (1, 2)
    assert figure(engine, "notification_timeliness", NOW) == (1, 2)


def test_the_status_check_sees_milestones_that_arrive_after_the_notification():
    story = OrderStory()
    story.placed()
    notice = story.notification(MONDAY + DAY + 12 * MINUTE, MONDAY + DAY, milestone="shipped")
    dispatched = story.dispatched(MONDAY + DAY)
    scan = story.scan("shipment.out_for_delivery.v1", MONDAY + DAY + 10 * MINUTE)
    engine = engine_after([story.events[0], notice, dispatched], NOW)
    assert figure(engine, "status_communication_accuracy", NOW) == (1, 1)
    engine.apply(scan)
    assert figure(engine, "status_communication_accuracy", NOW) == (0, 1)


def test_a_superseded_notification_that_was_never_sent_is_not_counted():
    story = OrderStory()
    story.suppressed(MONDAY + MINUTE, milestone="shipped", reason="superseded")
    engine = engine_after(story.events, NOW)
    assert figure(engine, "notification_timeliness", NOW) == (0, 0)
    assert figure(engine, "status_communication_accuracy", NOW) == (0, 0)


def test_survey_and_issue_update_notifications_are_never_stale():
    story = OrderStory()
    story.placed()
    story.dispatched(MONDAY + DAY)
    story.notification(MONDAY + DAY + MINUTE, MONDAY, milestone="survey")
    assert figure(engine_after(story.events, NOW), "status_communication_accuracy", NOW) == (1, 1)


def test_notification_latency_is_observed_once_per_notification():
    story = OrderStory()
    sent = story.notification(MONDAY + 2 * MINUTE, MONDAY, milestone="shipped", channel="sms",
                              notification_id="ntf_9")
    engine = engine_after(story.events + [sent], NOW)
    latencies = [item for item in engine.drain_observations() if item[0] == "notification_latency_seconds"]
    assert latencies == [("notification_latency_seconds", "sms", "shipped", 120.0)]
