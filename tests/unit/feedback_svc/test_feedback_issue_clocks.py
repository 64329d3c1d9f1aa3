from datetime import UTC, datetime, time, timedelta

import pytest
from feedback_svc.domain.errors import InvalidTime, IssueAlreadyResolved, UnknownCategory
from feedback_svc.domain.events import IssueAcknowledged, IssueResolved, IssueSlaBreached
from feedback_svc.domain.issues import BREACHED, MET, RUNNING, SlaPolicy, open_issue
from feedback_svc.domain.orders import KnownOrder
from hypothesis import given
from hypothesis import strategies as st
from orderpulse.business_days import BusinessCalendar
from orderpulse.business_hours import SlaClock, WorkingHours

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday
ORDER = KnownOrder("ord_1", "cus_1")


def opened(at=T0, policy=SlaPolicy(), category="damaged"):
    return open_issue(
        issue_id="iss_1", order=ORDER, category=category, description="box crushed", channel="email", opened_at=at, policy=policy
    )


def test_an_issue_gets_24_and_48_calendar_hours_by_default():
    issue, event = opened()
    assert (issue.ack.due, issue.resolve.due) == (T0 + timedelta(hours=24), T0 + timedelta(hours=48))
    assert (event.ack_due, event.resolve_due, event.customer_id, event.category) == (issue.ack.due, issue.resolve.due, "cus_1", "damaged")
    assert event.occurred_at == T0


def test_on_business_hours_the_clocks_skip_nights_and_weekends():
    hours = WorkingHours(BusinessCalendar(), time(9), time(17))
    issue, _ = opened(policy=SlaPolicy(timedelta(hours=8), timedelta(hours=16), SlaClock(hours)))
    # opened Friday 09:00: 8 working hours end Friday 17:00, 16 end Monday 17:00
    assert issue.ack.due == datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert issue.resolve.due == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def test_a_category_outside_the_catalog_is_refused_naming_the_field():
    with pytest.raises(UnknownCategory) as refused:
        opened(category="rude_driver")
    assert refused.value.field == "category"


def test_an_acknowledgement_in_time_meets_the_clock_and_announces_no_breach():
    issue, _ = opened()
    events = issue.acknowledge(at=T0 + timedelta(hours=3), by="support")
    assert [type(e) for e in events] == [IssueAcknowledged]
    assert issue.ack.state == MET and issue.status == "acknowledged"
    assert issue.breach_due_clocks(T0 + timedelta(days=1, hours=1)) == []


def test_a_late_acknowledgement_announces_the_breach_itself_dated_at_the_due_time():
    issue, _ = opened()
    events = issue.acknowledge(at=T0 + timedelta(hours=30), by="support")
    breach = [e for e in events if isinstance(e, IssueSlaBreached)]
    assert len(breach) == 1 and breach[0].clock == "ack" and breach[0].occurred_at == breach[0].due == issue.ack.due
    assert issue.ack.state == BREACHED


def test_the_scheduler_breaches_a_passed_clock_once():
    issue, _ = opened()
    assert issue.breach_due_clocks(T0 + timedelta(hours=23, minutes=59)) == []
    first = issue.breach_due_clocks(T0 + timedelta(hours=24))
    assert [(e.clock, e.due) for e in first] == [("ack", issue.ack.due)]
    assert issue.breach_due_clocks(T0 + timedelta(hours=25)) == []
    # acknowledging after the scheduler's breach does not announce it again
    assert [type(e) for e in issue.acknowledge(at=T0 + timedelta(hours=26), by="support")] == [IssueAcknowledged]


def test_an_acknowledgement_reported_late_but_dated_in_time_meets_an_announced_clock_without_a_new_event():
    issue, _ = opened(at=T0)
    assert [e.clock for e in issue.breach_due_clocks(T0 + timedelta(hours=30))] == ["ack"]
    events = issue.acknowledge(at=T0 + timedelta(hours=2), by="support")  # an import, after the announcement
    assert [type(e) for e in events] == [IssueAcknowledged]
    assert issue.ack.state == MET and issue.breached(T0 + timedelta(hours=30)) == []


def test_an_issue_opened_thirty_hours_ago_is_breached_for_ack_at_once_and_listed_so():
    now = T0 + timedelta(hours=30)
    issue, _ = opened(at=T0)
    assert issue.breached(now) == ["ack"]
    assert [e.clock for e in issue.breach_due_clocks(now)] == ["ack"]
    assert issue.breached(now) == ["ack"] and issue.resolve.state == RUNNING


def test_resolving_an_unacknowledged_issue_acknowledges_it_at_the_same_moment():
    issue, _ = opened()
    events = issue.resolve_with("refunded", at=T0 + timedelta(hours=2), by="support")
    assert [type(e) for e in events] == [IssueAcknowledged, IssueResolved]
    assert issue.acknowledged_at == issue.resolved_at == T0 + timedelta(hours=2)
    assert (issue.ack.state, issue.resolve.state, issue.status) == (MET, MET, "resolved")


def test_resolving_again_with_the_same_words_changes_nothing_and_with_others_conflicts():
    issue, _ = opened()
    issue.resolve_with("refunded", at=T0 + timedelta(hours=2), by="support")
    assert issue.resolve_with("refunded", at=T0 + timedelta(hours=3), by="support") == []
    with pytest.raises(IssueAlreadyResolved):
        issue.resolve_with("replaced", at=T0 + timedelta(hours=3), by="support")
    with pytest.raises(IssueAlreadyResolved):
        issue.acknowledge(at=T0 + timedelta(hours=3), by="support")


def test_a_fact_dated_before_the_issue_opened_is_refused():
    issue, _ = opened()
    with pytest.raises(InvalidTime) as refused:
        issue.acknowledge(at=T0 - timedelta(minutes=1), by="support")
    assert refused.value.field == "occurred_at"


def test_the_queue_puts_unresolved_issues_by_next_deadline_before_resolved_ones():
    old, _ = opened(at=T0 - timedelta(hours=30))
    new, _ = opened(at=T0)
    done, _ = opened(at=T0 - timedelta(days=3))
    done.resolve_with("ok", at=T0 - timedelta(days=2), by="support")
    acknowledged, _ = opened(at=T0 - timedelta(hours=1))
    acknowledged.acknowledge(at=T0, by="support")
    ranked = sorted([new, done, acknowledged, old], key=lambda i: i.urgency())
    assert ranked == [old, new, acknowledged, done]


moments = st.integers(min_value=0, max_value=4 * 24 * 60).map(lambda minutes: T0 + timedelta(minutes=minutes))


@given(passes=st.lists(moments, max_size=6), ack_at=st.none() | moments, resolve_at=st.none() | moments)
def test_each_clock_is_breached_at_most_once_and_exactly_when_it_was_missed(passes, ack_at, resolve_at):
    """Reference: a clock is missed when it was stopped after its due time, or is still running
    past it at the last look; whatever interleaving of scheduler passes and support's actions."""
    issue, _ = opened()
    breaches = []
    actions = [(at, "pass") for at in passes]
    if ack_at is not None:
        actions.append((ack_at, "ack"))
    if resolve_at is not None and (ack_at is None or resolve_at >= ack_at):
        actions.append((resolve_at, "resolve"))
    actions.sort(key=lambda a: (a[0], a[1] == "pass"))  # support acts before a pass at the same instant
    for at, action in actions:
        if action == "pass":
            events = issue.breach_due_clocks(at)
        elif action == "ack":
            events = issue.acknowledge(at=at, by="support") if issue.status == "open" else []
        else:
            events = issue.resolve_with("done", at=at, by="support")
        breaches += [e.clock for e in events if isinstance(e, IssueSlaBreached)]
    for clock in issue.clocks:
        stopped = clock.stopped_at
        missed = stopped > clock.due if stopped is not None else max(passes, default=T0) >= clock.due
        assert breaches.count(clock.name) == (1 if missed else 0), (clock, actions)
        assert clock.state == (BREACHED if missed else MET if stopped is not None else RUNNING)
