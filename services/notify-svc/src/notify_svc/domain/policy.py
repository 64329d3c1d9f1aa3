"""THE policy table (api.md): which channels each tier hears a milestone on, and when its account
manager calls. Change the table, not the consumers: nothing else in the service names a tier.

Webhooks are listed for no tier: a customer opts in through preferences (`channels.webhook`),
and then hears by webhook whatever the tier hears by email.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from notify_svc.domain.milestones import (
    CANCELLED,
    DELAYED,
    DELIVERED,
    DELIVERY_FAILED,
    MILESTONES,
    ORDER_CONFIRMED,
    ORDER_HELD,
    OUT_FOR_DELIVERY,
    PAYMENT_FAILED,
    SHIPPED,
)

EMAIL, SMS, WEBHOOK = "email", "sms", "webhook"
EVERY = frozenset(MILESTONES)
PROBLEMS = frozenset({ORDER_HELD, PAYMENT_FAILED, DELAYED, DELIVERY_FAILED, CANCELLED})


@dataclass(frozen=True)
class TierPolicy:
    """For one tier: milestone -> channels, and the milestones that get a courtesy call."""

    channels: Mapping[str, frozenset[str]]
    calls: frozenset[str] = frozenset()


def _table(**channel_milestones: frozenset[str]) -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {milestone: set() for milestone in MILESTONES}
    for channel, milestones in channel_milestones.items():
        for milestone in milestones:
            table[milestone].add(channel)
    return {milestone: frozenset(channels) for milestone, channels in table.items()}


POLICY: Mapping[str, TierPolicy] = {
    "vip": TierPolicy(
        channels=_table(email=EVERY, sms=EVERY),
        calls=frozenset({ORDER_CONFIRMED, SHIPPED, DELAYED, DELIVERY_FAILED, DELIVERED}),
    ),
    "standard": TierPolicy(channels=_table(email=EVERY, sms=frozenset({OUT_FOR_DELIVERY, DELAYED}))),
    "one_time": TierPolicy(channels=_table(email=frozenset({ORDER_CONFIRMED, SHIPPED, DELIVERED}) | PROBLEMS)),
}
DEFAULT_TIER = "standard"  # an order whose tier is unknown is treated as a standard customer's


def policy_for(tier: str) -> TierPolicy:
    return POLICY.get(tier, POLICY[DEFAULT_TIER])


def channels_for(tier: str, milestone: str, *, webhook_opt_in: bool = False) -> frozenset[str]:
    """The channels the tier hears this milestone on (before preferences switch any off)."""
    channels = policy_for(tier).channels.get(milestone, frozenset())
    if webhook_opt_in and EMAIL in channels:
        channels = channels | {WEBHOOK}
    return channels


def calls_for(tier: str, milestone: str) -> bool:
    return milestone in policy_for(tier).calls
