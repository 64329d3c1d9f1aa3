"""The decisions: whom to tell on which channel when a milestone is reached (`plan`), and whether a
due message goes out now (`gate`). Pure functions over values; the service layer stores the result.

- `stale`: the trigger is older than `stale_after` (24 h) when it is planned;
- `superseded`: a different status milestone of the same parcel (or, for an order milestone,
  of the whole order) happened after it, by event time; `cancelled` overtakes everything;
- `opted_out`: the customer switched the channel off (webhooks are opt-in);
- quiet hours: an SMS waits until they end; email and webhooks do not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from notify_svc.domain.milestones import ORDER_WIDE_MILESTONES, PARCEL_MILESTONES, STATUS_MILESTONES
from notify_svc.domain.policy import SMS, WEBHOOK, calls_for, channels_for
from notify_svc.domain.preferences import Preferences
from notify_svc.domain.values import MilestoneReached

STALE_AFTER = timedelta(hours=24)
SUPERSEDED, STALE, OPTED_OUT, DUPLICATE, QUIET_HOURS_DEFERRED = (
    "superseded",
    "stale",
    "opted_out",
    "duplicate",
    "quiet_hours_deferred",
)


def superseded(milestone: str, scope: str, time: datetime, history: Iterable[MilestoneReached]) -> bool:
    """True when a later, different status milestone overtook this one."""
    if milestone not in STATUS_MILESTONES:
        return False
    parcel = milestone in PARCEL_MILESTONES
    for later in history:
        if later.time <= time or later.milestone == milestone:
            continue
        if later.milestone in ORDER_WIDE_MILESTONES or not parcel or later.scope == scope:
            return True
    return False


def stale(time: datetime, now: datetime, stale_after: timedelta = STALE_AFTER) -> bool:
    return now - time > stale_after


@dataclass(frozen=True)
class Plan:
    """What a trigger leads to: channels to send on, channels suppressed (with why), a call or not."""

    send: frozenset[str] = frozenset()
    suppressed: dict[str, str] = field(default_factory=dict)
    call: bool = False

    @property
    def empty(self) -> bool:
        return not self.send and not self.suppressed and not self.call


def plan(
    *,
    tier: str,
    milestone: str,
    scope: str,
    time: datetime,
    preferences: Preferences,
    history: Iterable[MilestoneReached],
    now: datetime,
    stale_after: timedelta = STALE_AFTER,
) -> Plan:
    channels = channels_for(tier, milestone, webhook_opt_in=preferences.webhook_opt_in)
    call = calls_for(tier, milestone)
    if not channels and not call:
        return Plan()
    if stale(time, now, stale_after):
        return Plan(suppressed={channel: STALE for channel in channels})
    if superseded(milestone, scope, time, history):
        return Plan(suppressed={channel: SUPERSEDED for channel in channels})
    if not preferences.channels:  # nothing switched: every channel the policy names (most customers)
        return Plan(send=channels, call=call)
    send = frozenset(channel for channel in channels if preferences.allows(channel))
    return Plan(send=send, suppressed={channel: OPTED_OUT for channel in channels - send}, call=call)


@dataclass(frozen=True)
class Send:
    pass


@dataclass(frozen=True)
class Suppress:
    reason: str


@dataclass(frozen=True)
class Defer:
    until: datetime


def gate(
    *,
    channel: str,
    milestone: str,
    scopes: Sequence[str],
    time: datetime,
    preferences: Preferences,
    timezone: str,
    history: Iterable[MilestoneReached],
    now: datetime,
) -> Send | Suppress | Defer:
    """Re-check a due message just before it goes out: the customer may have switched the channel
    off, the order may have moved on, or it may be the middle of their night. A digest (several
    `scopes`, one per parcel) is superseded only once every one of its parcels has moved on."""
    allowed = preferences.webhook_opt_in if channel == WEBHOOK else preferences.allows(channel)
    if not allowed:
        return Suppress(OPTED_OUT)
    history = list(history)
    if all(superseded(milestone, scope, time, history) for scope in scopes or ("",)):
        return Suppress(SUPERSEDED)
    if channel == SMS and preferences.quiet_hours is not None:
        until = preferences.quiet_hours.ends_after(now, timezone)
        if until is not None:
            return Defer(until)
    return Send()
