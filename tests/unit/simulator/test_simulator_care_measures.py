"""csat, the issue clocks, the notification KPIs and notification costs, counted from the tally
as kpis.md defines them, against figures worked out by hand."""

from __future__ import annotations

from orderpulse.simulator.tally import IssueRecord, NotificationRecord, money
from test_simulator_tally import AS_OF, DAY, HOUR, T0, figures, order, shipped

MINUTE = 60_000


def issue(number: int, category: str = "late", opened: int = T0 + 4 * DAY, **done) -> IssueRecord:
    return IssueRecord(f"iss_{number}", category, opened, opened + 24 * HOUR, opened + 48 * HOUR, **done)


def sent(milestone: str, trigger: int, after_ms: int, channel: str = "email", cost: str = "0") -> NotificationRecord:
    return NotificationRecord(f"n-{milestone}-{trigger}-{channel}", milestone, channel, trigger, trigger + after_ms,
                              money(cost))


def test_csat_counts_answers_of_four_or_five_over_all_answers_at_their_answer_time():
    happy, unhappy, old = order(1), order(2), order(3)
    happy.responses = [(AS_OF - 20 * HOUR, 5)]
    unhappy.responses = [(AS_OF - 20 * HOUR, 3)]
    old.responses = [(AS_OF - 2 * DAY, 4)]
    assert figures(happy, unhappy, old)["csat"] == (2, 3)
    assert figures(happy, unhappy, old, window="24h")["csat"] == (1, 2)  # the older answer is outside a day


def test_an_issue_clock_succeeds_at_the_ack_and_fails_at_the_due_when_late_or_left_running_past_it():
    opened = AS_OF - 3 * DAY
    record = order()
    record.issues = {
        "on time": issue(1, opened=opened, acked_ms=opened + 2 * HOUR, resolved_ms=opened + 30 * HOUR),
        "late ack": issue(2, opened=opened, acked_ms=opened + 25 * HOUR, resolved_ms=opened + 47 * HOUR),
        "never touched": issue(3, opened=opened),
        "resolved at once": issue(4, opened=opened, resolved_ms=opened + HOUR),  # resolving acknowledges
        "still running": issue(5, opened=AS_OF - 2 * HOUR),
    }
    result = figures(record)
    assert result["issue_ack_within_sla"] == (2, 4)
    assert result["issue_resolved_within_sla"] == (3, 4)


def test_a_failed_clock_counts_at_its_due_time_so_a_window_that_ends_before_the_late_ack_still_holds_it():
    opened = AS_OF - 30 * HOUR
    record = order()
    record.issues = {"late": issue(1, opened=opened, acked_ms=AS_OF - HOUR // 2)}
    result = figures(record, window="24h")
    assert result["issue_ack_within_sla"] == (0, 1)  # due 6 h ago, inside the day; the ack does not move it
    assert result["issue_resolved_within_sla"] == (0, 0)  # resolve due in 18 h: still running


def test_a_damage_issue_fails_damage_free_and_a_billing_issue_fails_documentation_and_the_invoice():
    damaged, billed, late = order(1), order(2), order(3)
    for record in (damaged, billed, late):
        shipped(record)
    damaged.issues = {"d": issue(1, "damaged", opened=T0 + 4 * DAY)}
    billed.issues = {"b": issue(2, "billing", opened=T0 + 5 * DAY)}
    late.issues = {"l": issue(3, "late", opened=T0 + 4 * DAY)}
    result = figures(damaged, billed, late)
    assert result["damage_free"] == (2, 3)
    assert result["documentation_accuracy"] == (2, 3)
    assert result["invoice_accuracy"] == (2, 3)
    assert result["perfect_order"] == (1, 3)


def test_a_claim_after_the_claim_window_changes_nothing():
    record = order()
    shipped(record, delivered_at=T0 + 3 * DAY)
    record.issues = {"d": issue(1, "damaged", opened=T0 + 10 * DAY + HOUR)}
    assert figures(record)["damage_free"] == (1, 1)


def test_notifications_are_timely_within_five_minutes_of_their_trigger():
    record = order()
    trigger = AS_OF - DAY
    record.notifications = [sent("shipped", trigger, 5 * MINUTE), sent("delivered", trigger + HOUR, 5 * MINUTE + 1),
                            sent("survey", trigger + 2 * HOUR, 0)]
    assert figures(record)["notification_timeliness"] == (2, 3)


def test_a_status_notification_overtaken_by_another_milestone_before_it_went_out_was_not_accurate():
    record = order()
    shipped_at = AS_OF - DAY
    record.milestones = [(shipped_at, "shipped"), (shipped_at + 2 * MINUTE, "out_for_delivery"),
                         (shipped_at + 10 * MINUTE, "delivered")]
    record.notifications = [
        sent("shipped", shipped_at, 3 * MINUTE),  # out_for_delivery happened in between: stale
        sent("shipped", shipped_at, MINUTE),  # went out before it: accurate
        sent("out_for_delivery", shipped_at + 2 * MINUTE, 13 * MINUTE),  # delivered by then: stale
        sent("survey", shipped_at - MINUTE, 30 * MINUTE),  # not a status milestone: never stale
    ]
    assert figures(record)["status_communication_accuracy"] == (2, 4)


def test_notification_costs_join_labor_and_shipping_in_cost_per_order_at_their_sending_time():
    record = order()
    shipped(record, at=AS_OF - 2 * DAY, delivered_at=AS_OF - DAY, cost="6.90")
    record.notifications = [sent("shipped", AS_OF - 2 * DAY, MINUTE, "sms", cost="0.0075"),
                            sent("delivered", AS_OF - DAY, MINUTE, "email", cost="0.0010"),
                            sent("order_confirmed", AS_OF - 40 * DAY, MINUTE, "sms", cost="0.0075")]  # outside 30d
    numerator, denominator = figures(record)["cost_per_order"]
    assert denominator == 1
    assert numerator == 6.9085


def test_a_message_long_after_the_claim_window_still_counts_in_its_window():
    record = order()
    shipped(record, at=AS_OF - 12 * DAY, delivered_at=AS_OF - 10 * DAY)
    record.notifications = [sent("return_received", AS_OF - 2 * HOUR, MINUTE),  # ten days after delivery
                            sent("delivered", AS_OF - 10 * DAY, 10 * MINUTE)]
    assert figures(record)["notification_timeliness"] == (1, 2)
    assert figures(record, window="24h")["notification_timeliness"] == (1, 1)
