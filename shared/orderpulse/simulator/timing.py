"""When each step of a story happens: a pure function of the profile, the placing time, the
business calendar and the story's own timing stream. Steps come out in strictly increasing time.

Rules of thumb: corrections within hours, payment callbacks within minutes, picking within a day
of confirmation and before the ship deadline (two business days) unless the story is a late
dispatch, transit by service level (next day ~1 day, express 1-2.5 days, standard 2-4.5 days)
and deliveries before the promise unless the story is a late delivery. A backordered order's
second parcel leaves after a restock 1-3 days later and arrives when it arrives.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

from orderpulse.business_days import BusinessCalendar
from orderpulse.simulator import steps as s
from orderpulse.simulator.care_plan import plan_care
from orderpulse.simulator.config import ErrorMix
from orderpulse.simulator.scenario import Profile, Story, Transit

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
TRANSIT_HOURS = {"next_day": (14, 26), "express": (24, 60), "standard": (48, 108)}


def _between(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    return low + (high - low) * rng.random()


def _ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _transit_scans(
    rng: random.Random, profile: Profile, shipment: int, transit: Transit, dispatched: datetime, delivered: datetime
) -> list[s.Step]:
    """in_transit (one or two hubs), the troubles of the parcel, out_for_delivery, delivered."""
    carrier = profile.carrier
    trip = delivered - dispatched
    final_out = delivered - min(_between(rng, 40 * MINUTE, 4 * HOUR), trip * 0.25)
    middle: list[dict] = [dict(status="in_transit", location=f"{carrier.upper()} origin hub")]
    if rng.random() < 0.6:
        middle.append(dict(status="in_transit", location=f"{carrier.upper()} hub {profile.customer.address.city}"))
    if transit.delayed:
        middle.append(dict(status="delayed", reason=rng.choice(("weather", "volume", "vehicle breakdown")),
                           eta=delivered))
    if transit.damaged_in_transit:
        middle.append(dict(status="exception", reason="damaged_in_transit"))
    if transit.failed_attempt:
        middle.append(dict(status="out_for_delivery"))
        middle.append(dict(status="delivery_failed", reason=rng.choice(("no one home", "access code needed")),
                           eta=final_out))
    low, high = dispatched + min(10 * MINUTE, trip * 0.05), final_out - min(MINUTE, trip * 0.05)
    times = sorted(low + (high - low) * rng.random() for _ in middle)
    scans = [s.CarrierScan(at=at, shipment=shipment, carrier=carrier, **fields) for at, fields in zip(times, middle, strict=True)]
    scans.append(s.CarrierScan(at=final_out, shipment=shipment, carrier=carrier, status="out_for_delivery"))
    condition = "damaged" if transit.damaged_at_delivery else "intact"
    scans.append(s.CarrierScan(at=delivered, shipment=shipment, carrier=carrier, status="delivered", condition=condition))
    return scans


def _delivery_time(rng: random.Random, profile: Profile, transit: Transit, dispatched: datetime,
                   promised_by: datetime, *, keep_promise: bool) -> datetime:
    low_h, high_h = TRANSIT_HOURS[profile.service_level]
    natural = dispatched + _between(rng, low_h * HOUR, high_h * HOUR)
    if not keep_promise:
        return natural
    if transit.late:
        return max(natural, promised_by + _between(rng, 2 * HOUR, 48 * HOUR))
    latest = promised_by - 30 * MINUTE
    if natural <= latest:
        return natural
    if latest - dispatched > 3 * HOUR:  # the carrier makes it in time after all
        return dispatched + (latest - dispatched) * (0.6 + 0.35 * rng.random())
    return natural  # dispatched too close to the promise: late whatever happens


def _dispatch_time(rng: random.Random, profile: Profile, confirmed: datetime, deadline: datetime) -> datetime:
    if profile.late_dispatch:
        return max(deadline, confirmed) + _between(rng, HOUR, 30 * HOUR)
    earliest = confirmed + 40 * MINUTE
    latest = min(deadline - 15 * MINUTE, confirmed + 28 * HOUR)
    if latest <= earliest:
        return earliest + _between(rng, timedelta(0), 30 * MINUTE)
    return earliest + (latest - earliest) * rng.random()


def _pack_and_dispatch(rng: random.Random, profile: Profile, shipment: int, dispatched: datetime,
                       eta: datetime, *, first: bool) -> list[s.Step]:
    packed = dispatched - _between(rng, 12 * MINUTE, 35 * MINUTE)
    error = profile.document_error if first else None
    out: list[s.Step] = [s.PackShipment(at=packed, shipment=shipment, documents=error or "correct",
                                        short_pick=first and profile.short_pick)]
    override = error is not None and profile.document_override
    if error is not None and not override:
        out.append(s.PackShipment(at=packed + (dispatched - packed) * (0.3 + 0.4 * rng.random()), shipment=shipment,
                                  repack=True, short_pick=first and profile.short_pick))
    out.append(s.DispatchShipment(at=dispatched, shipment=shipment, carrier=profile.carrier, eta=eta, override=override))
    return out


def plan_story(profile: Profile, placed_at: datetime, calendar: BusinessCalendar, seed: int,
               care_mix: ErrorMix | None = None) -> Story:
    """The whole story of one order placed at `placed_at`; with `care_mix`, also what follows the
    delivery (the survey answer, support's issues)."""
    rng = random.Random(f"{seed}/timing/{profile.index}")
    placed_at = _ms(placed_at)
    promised_by = calendar.default_promised_by(placed_at, profile.service_level, profile.customer.timezone)
    deadline = calendar.ship_deadline(placed_at)
    out: list[s.Step] = [s.PlaceOrder(at=placed_at)]
    t = placed_at
    if profile.entry_mistake:
        t += _between(rng, 10 * MINUTE, 4 * HOUR)
        if profile.cancel_stage == "held":
            out.append(s.CancelOrder(at=t, reason="customer gave up on a held order"))
            return _story(profile, placed_at, promised_by, deadline, out)
        out.append(s.CorrectOrder(at=t, field="lines" if profile.entry_mistake == "price" else "ship_to"))
    if profile.payment == "pending_failed":
        t += _between(rng, MINUTE, 10 * MINUTE)
        out.append(s.PaymentCallback(at=t, status="failed"))
        t += _between(rng, 30 * MINUTE, 8 * HOUR)
        out.append(s.PaymentCallback(at=t, status="authorized"))
    elif profile.payment == "pending":
        t += _between(rng, MINUTE, 20 * MINUTE)
        out.append(s.PaymentCallback(at=t, status="authorized"))
    confirmed = t
    if profile.cancel_stage is not None:
        out.append(s.CancelOrder(at=t + _between(rng, 5 * MINUTE, 12 * HOUR), reason="customer changed their mind"))
        return _story(profile, placed_at, promised_by, deadline, out)
    dispatched = _dispatch_time(rng, profile, confirmed, deadline)
    delivered = _delivery_time(rng, profile, profile.transit, dispatched, promised_by, keep_promise=True)
    eta = delivered if not profile.transit.delayed else dispatched + (delivered - dispatched) * 0.7
    out += _pack_and_dispatch(rng, profile, 1, dispatched, _ms(eta), first=True)
    if profile.short_pick:
        out.append(s.CloseShort(at=dispatched + _between(rng, 2 * MINUTE, 8 * MINUTE),
                                reason="short pick: units not found on the shelf"))
    out += _transit_scans(rng, profile, 1, profile.transit, dispatched, delivered)
    last_delivery = delivered
    if profile.backorder_sku is not None:
        restocked = dispatched + _between(rng, 20 * HOUR, 3 * DAY)
        out.append(s.Restock(at=restocked, sku=profile.backorder_sku))
        second = restocked + _between(rng, HOUR, 6 * HOUR)
        arrives = _delivery_time(rng, profile, profile.backorder_transit, second, promised_by, keep_promise=False)
        out += _pack_and_dispatch(rng, profile, 2, second, _ms(arrives), first=False)
        out += _transit_scans(rng, profile, 2, profile.backorder_transit, second, arrives)
        last_delivery = max(last_delivery, arrives)
    if care_mix is not None:
        transits = (profile.transit, profile.backorder_transit) if profile.backorder_sku else (profile.transit,)
        damaged = any(t.damaged_in_transit or t.damaged_at_delivery for t in transits)
        out += plan_care(seed, profile.index, care_mix, last_delivery, late=last_delivery > promised_by,
                         damaged=damaged)
    if profile.return_reason is not None:
        asked = last_delivery + _between(rng, DAY, 6 * DAY)
        reason = profile.return_reason
        out.append(s.RequestReturn(at=asked, reason=reason, kind=profile.return_kind))
        damaged = reason == "damaged"
        out.append(s.ReceiveReturn(at=asked + _between(rng, DAY, 5 * DAY), condition="damaged" if damaged else "intact"))
    return _story(profile, placed_at, promised_by, deadline, out)


def _story(profile: Profile, placed_at: datetime, promised_by: datetime, deadline: datetime,
           out: list[s.Step]) -> Story:
    ordered = sorted(out, key=lambda step: step.at)
    strictly: list[s.Step] = []
    for step in ordered:
        at = _ms(step.at)
        if strictly and at <= strictly[-1].at:
            at = strictly[-1].at + timedelta(seconds=1)
        strictly.append(_moved(step, at))
    return Story(profile=profile, placed_at=placed_at, promised_by=promised_by, ship_deadline=deadline,
                 steps=tuple(strictly))


def _moved(step: s.Step, at: datetime) -> s.Step:
    return step if step.at == at else replace(step, at=at)


def fit_before(story: Story, limit: datetime) -> Story:
    """The story without its steps after `limit` (end of the replayed history); `truncated`
    when more than its tail (the return after delivery) fell off."""
    kept = tuple(step for step in story.steps if step.at <= limit)
    if len(kept) == len(story.steps):
        return story
    lost_core = any(step.at > limit and not is_tail(step) for step in story.steps)
    return replace(story, steps=kept, truncated=lost_core)


def is_tail(step: s.Step) -> bool:
    """Steps after the delivery that a history may leave out without leaving the order in flight."""
    return isinstance(step, (s.RequestReturn, s.ReceiveReturn, s.AnswerSurvey, s.OpenIssue, s.AcknowledgeIssue,
                             s.ResolveIssue))
