"""The policy table says exactly what api.md says, per tier."""

from hypothesis import given
from hypothesis import strategies as st
from notify_svc.domain.milestones import MILESTONES
from notify_svc.domain.policy import POLICY, calls_for, channels_for

ALL = set(MILESTONES)
CALLED = {"order_confirmed", "shipped", "delayed", "delivery_failed", "delivered"}
ONE_TIME_EMAILS = {"order_confirmed", "shipped", "delivered", "order_held", "payment_failed", "delayed", "delivery_failed", "cancelled"}

tiers = st.sampled_from(sorted(POLICY))
milestones = st.sampled_from(MILESTONES)


def heard_on(tier: str, channel: str) -> set[str]:
    return {milestone for milestone in MILESTONES if channel in channels_for(tier, milestone)}


def test_vip_customers_get_email_and_sms_at_every_milestone_and_calls_at_five():
    assert heard_on("vip", "email") == ALL
    assert heard_on("vip", "sms") == ALL
    assert {milestone for milestone in MILESTONES if calls_for("vip", milestone)} == CALLED


def test_standard_customers_get_email_always_and_sms_only_when_it_is_urgent():
    assert heard_on("standard", "email") == ALL
    assert heard_on("standard", "sms") == {"out_for_delivery", "delayed"}
    assert not any(calls_for("standard", milestone) for milestone in MILESTONES)


def test_one_time_customers_hear_of_confirmation_shipping_delivery_and_problems_only():
    assert heard_on("one_time", "email") == ONE_TIME_EMAILS
    assert heard_on("one_time", "sms") == set()
    assert "out_for_delivery" not in heard_on("one_time", "email")


def test_an_unknown_tier_is_treated_like_a_standard_customer():
    assert heard_on("gold", "sms") == heard_on("standard", "sms")


@given(tiers, milestones)
def test_webhooks_are_only_ever_sent_to_customers_who_opted_in_and_then_with_the_email(tier, milestone):
    assert "webhook" not in channels_for(tier, milestone)
    opted = channels_for(tier, milestone, webhook_opt_in=True)
    assert ("webhook" in opted) == ("email" in opted)


@given(milestones)
def test_one_time_customers_never_get_a_call(milestone):
    assert not calls_for("one_time", milestone)
