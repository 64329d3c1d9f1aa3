"""After the delivery: surveys and issues are planned from the seed, come after the delivery,
are handled in order (opened, acknowledged, resolved), miss their SLA as often as the mix says,
and in a replayed history only follow deliveries kpi-svc still listens to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orderpulse.business_days import BusinessCalendar
from orderpulse.simulator import steps as s
from orderpulse.simulator.care_plan import ACK_DUE, RESOLVE_DUE, plan_care
from orderpulse.simulator.config import ErrorMix
from orderpulse.simulator.history import plan_history
from orderpulse.simulator.world import registered_customers

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
DELIVERED = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
ALWAYS = ErrorMix(survey_answered=1.0, damage_issue=1.0, late_issue=1.0, billing_issue=1.0)


def issues_of(steps: list[s.Step]) -> dict[int, list[s.Step]]:
    by_number: dict[int, list[s.Step]] = {}
    for step in steps:
        if isinstance(step, (s.OpenIssue, s.AcknowledgeIssue, s.ResolveIssue)):
            by_number.setdefault(step.number, []).append(step)
    return by_number


def test_the_same_seed_plans_the_same_care_and_another_order_other_care():
    assert plan_care(7, 3, ALWAYS, DELIVERED, late=True, damaged=True) == plan_care(7, 3, ALWAYS, DELIVERED, late=True,
                                                                                     damaged=True)
    assert plan_care(7, 3, ALWAYS, DELIVERED, late=True, damaged=True) != plan_care(7, 4, ALWAYS, DELIVERED, late=True,
                                                                                     damaged=True)


def test_support_opens_an_issue_per_kind_of_trouble_and_handles_each_in_order_after_the_delivery():
    steps = plan_care(7, 1, ALWAYS, DELIVERED, late=True, damaged=True)
    issues = issues_of(steps)
    assert sorted(step.category for step in steps if isinstance(step, s.OpenIssue)) == ["billing", "damaged", "late"]
    for handled in issues.values():
        assert [type(step) for step in handled] == [s.OpenIssue, s.AcknowledgeIssue, s.ResolveIssue]
        assert DELIVERED < handled[0].at < handled[1].at < handled[2].at
    answer = next(step for step in steps if isinstance(step, s.AnswerSurvey))
    assert DELIVERED + timedelta(hours=1) < answer.at and 1 <= answer.csat <= 5


def test_a_clean_delivery_gets_no_damage_or_late_issue_and_mostly_happy_answers():
    mix = ErrorMix(survey_answered=1.0, billing_issue=0.0)
    answers = [step for index in range(300) for step in plan_care(7, index, mix, DELIVERED, late=False, damaged=False)]
    assert all(isinstance(step, s.AnswerSurvey) for step in answers) and len(answers) == 300
    assert sum(step.csat >= 4 for step in answers) / 300 > 0.75


def test_issues_miss_their_clocks_as_often_as_the_mix_says():
    late_ack, late_resolve, total = 0, 0, 0
    mix = ErrorMix(damage_issue=1.0, survey_answered=0.0, billing_issue=0.0, issue_ack_late=0.3, issue_resolve_late=0.2)
    for index in range(600):
        for opened, acked, resolved in issues_of(plan_care(7, index, mix, DELIVERED, late=False, damaged=True)).values():
            total += 1
            late_ack += acked.at - opened.at > ACK_DUE
            late_resolve += resolved.at - opened.at > RESOLVE_DUE
    assert total == 600
    assert 0.25 < late_ack / total < 0.35 and 0.15 < late_resolve / total < 0.25


def test_a_replayed_history_answers_and_opens_issues_across_the_month_and_never_after_now():
    calendar = BusinessCalendar("UTC")
    stories = plan_history(7, 400, NOW, timedelta(days=30), ALWAYS, registered_customers(7), calendar)
    cared = [story for story in stories if any(isinstance(step, (s.AnswerSurvey, s.OpenIssue)) for step in story.steps)]
    assert min(story.placed_at for story in cared) < NOW - timedelta(days=20)  # kpi-svc revives old orders for them
    assert all(step.at <= NOW for story in stories for step in story.steps)
    assert any(isinstance(step, s.OpenIssue) for story in cared for step in story.steps)
