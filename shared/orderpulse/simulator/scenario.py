"""Each order's story, planned from the seed: who orders what, what goes wrong, and when (pure).

Randomness has one stream per concern, each seeded from the seed and a name, so the same seed
gives the same traffic and changing one concern (e.g. the arrival times) does not reshuffle
another (e.g. what goes wrong with order 42):

- `<seed>/arrivals`        when the orders of the backfilled history were placed;
- `<seed>/customers`       the registered customers (world.py);
- `<seed>/story/<index>`   what order <index> is and what happens to it (a `Profile`);
- `<seed>/timing/<index>`  how long each of its steps takes (timing.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from orderpulse.simulator.config import ErrorMix
from orderpulse.simulator.steps import Step
from orderpulse.simulator.world import (
    CHANNELS,
    DEFAULT_CARRIERS,
    SERVICE_LEVELS,
    Customer,
    Item,
    items_of,
    make_customer,
)

DOCUMENT_ERRORS = ("slip_quantity", "invoice_missing_line", "total_wrong", "missing_documents")
RETURN_REASONS = (("changed_mind", 40), ("not_as_described", 20), ("wrong_item", 15), ("missing_item", 10),
                  ("damaged", 15))


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    catalog_price: Decimal
    shown_price: Decimal  # what the storefront sends; differs from the catalog on a price mistake

    @property
    def total(self) -> Decimal:
        return self.catalog_price * self.quantity


@dataclass(frozen=True)
class Transit:
    """What happens to one parcel on its way."""

    delayed: bool = False
    failed_attempt: bool = False
    damaged_in_transit: bool = False
    damaged_at_delivery: bool = False
    late: bool = False


@dataclass(frozen=True)
class Profile:
    """The choices of one order's story (no times: timing.py adds them)."""

    index: int
    customer: Customer
    channel: str
    service_level: str
    warehouse: str
    carrier: str
    lines: tuple[Line, ...]
    entry_mistake: str | None = None  # price | address
    payment: str = "authorized"  # authorized | pending | pending_failed
    cancel_stage: str | None = None  # held | before_pack
    backorder_sku: str | None = None
    short_pick: bool = False
    document_error: str | None = None
    document_override: bool = False
    late_dispatch: bool = False
    transit: Transit = Transit()
    backorder_transit: Transit = Transit()
    return_reason: str | None = None
    return_kind: str = "refund"
    requested_before_s: int | None = None  # the customer began ordering this long before placing


@dataclass(frozen=True)
class Story:
    profile: Profile
    placed_at: datetime
    promised_by: datetime  # the default promise the simulator expects (order-svc decides)
    ship_deadline: datetime
    steps: tuple[Step, ...]
    truncated: bool = False  # some steps would have been after the end of the history: left out
    explicit_promise: bool = False  # send promised_by (live stories run faster than the calendar)

    @property
    def index(self) -> int:
        return self.profile.index

    @property
    def ends_at(self) -> datetime:
        return self.steps[-1].at


def _weighted(rng: random.Random, pairs) -> str:
    names, weights = zip(*pairs, strict=True)
    return rng.choices(names, weights=weights)[0]


def _chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def _lines(rng: random.Random, warehouse: str, channel: str, backorder_sku: str | None) -> list[Line]:
    choices: tuple[Item, ...] = items_of(warehouse)
    count = min(len(choices), rng.choices((1, 2, 3), weights=(55, 30, 15))[0])
    lines = []
    for item in rng.sample(choices, count):
        low, high = (2, item.max_quantity) if channel == "b2b" else (1, min(3, item.max_quantity))
        lines.append(Line(item.sku, rng.randint(low, high), item.unit_price, item.unit_price))
    if backorder_sku is not None:
        scarce = next(item for item in items_of(warehouse, scarce=True) if item.sku == backorder_sku)
        lines.append(Line(scarce.sku, 1, scarce.unit_price, scarce.unit_price))
    return lines


def _mistaken_price(rng: random.Random, price: Decimal) -> Decimal:
    """Yesterday's price: 10 % off, or a euro/dollar more."""
    wrong = (price * Decimal("0.9")).quantize(Decimal("0.01")) if rng.random() < 0.5 else price + Decimal("1.00")
    return wrong if wrong != price else price + Decimal("0.50")


def _transit(rng: random.Random, mix: ErrorMix) -> Transit:
    delayed = _chance(rng, mix.carrier_delay)
    failed = _chance(rng, mix.failed_attempt)
    troubled_lateness = max(mix.late_delivery, 0.4) if (delayed or failed) else mix.late_delivery
    return Transit(
        delayed=delayed,
        failed_attempt=failed,
        damaged_in_transit=_chance(rng, mix.damage_in_transit),
        damaged_at_delivery=_chance(rng, mix.damage_at_delivery),
        late=_chance(rng, troubled_lateness),
    )


def choose_profile(
    seed: int,
    index: int,
    mix: ErrorMix,
    customers: tuple[Customer, ...],
    carriers: tuple[str, ...] = DEFAULT_CARRIERS,
) -> Profile:
    """What order `index` is and what happens to it; a pure function of its arguments."""
    rng = random.Random(f"{seed}/story/{index}")
    if rng.random() < 0.3 or not customers:
        customer = make_customer(rng, f"sim-{seed}-g{index:06d}", "one_time")
    else:
        vips = [c for c in customers if c.tier == "vip"]
        pool = vips if vips and rng.random() < 0.18 else customers
        customer = rng.choice(pool)
    channel = _weighted(rng, CHANNELS)
    levels = SERVICE_LEVELS if customer.tier != "vip" else (("standard", 40), ("express", 40), ("next_day", 20))
    service_level = _weighted(rng, levels)
    warehouse = "wh-1" if rng.random() < 0.7 else "wh-2"
    backorder_sku = None
    if _chance(rng, mix.backorder):
        backorder_sku = rng.choice(items_of(warehouse, scarce=True)).sku
    lines = _lines(rng, warehouse, channel, backorder_sku)
    entry_mistake = None
    roll = rng.random()
    if roll < mix.price_mistake:
        entry_mistake = "price"
        at = rng.randrange(len(lines))
        lines[at] = Line(lines[at].sku, lines[at].quantity, lines[at].catalog_price,
                         _mistaken_price(rng, lines[at].catalog_price))
    elif roll < mix.price_mistake + mix.address_mistake:
        entry_mistake = "address"
    payment = "authorized"
    pending_weight = 2.0 if channel in ("b2b", "marketplace") else 1.0
    if _chance(rng, mix.payment_failure):
        payment = "pending_failed"
    elif _chance(rng, min(1.0, mix.pending_payment * pending_weight)):
        payment = "pending"
    cancel_stage = None
    if _chance(rng, mix.cancellation):
        cancel_stage = "held" if entry_mistake and rng.random() < 0.5 else "before_pack"
    short_pick = backorder_sku is None and _chance(rng, mix.short_pick)
    if short_pick and len(lines) == 1 and lines[0].quantity == 1:
        lines[0] = Line(lines[0].sku, 2, lines[0].catalog_price, lines[0].shown_price)
    document_error = rng.choice(DOCUMENT_ERRORS) if _chance(rng, mix.document_error) else None
    document_override = document_error is not None and _chance(rng, mix.document_override)
    late_dispatch = _chance(rng, mix.late_dispatch)
    transit = _transit(rng, mix)
    backorder_transit = _transit(rng, mix)
    damaged = transit.damaged_at_delivery or transit.damaged_in_transit
    return_reason = None
    if _chance(rng, min(1.0, mix.returns * (8 if damaged else 1))):
        return_reason = "damaged" if damaged and rng.random() < 0.8 else _weighted(rng, RETURN_REASONS)
    return Profile(
        index=index,
        customer=customer,
        channel=channel,
        service_level=service_level,
        warehouse=warehouse,
        carrier=rng.choice(carriers),
        lines=tuple(lines),
        entry_mistake=entry_mistake,
        payment=payment,
        cancel_stage=cancel_stage,
        backorder_sku=backorder_sku,
        short_pick=short_pick,
        document_error=document_error,
        document_override=document_override,
        late_dispatch=late_dispatch,
        transit=transit,
        backorder_transit=backorder_transit,
        return_reason=return_reason,
        return_kind="exchange" if rng.random() < 0.3 else "refund",
        requested_before_s=rng.randint(60, 1500) if channel in ("web", "mobile", "phone") else None,
    )


def _placement_weight(moment: datetime) -> float:
    """More orders by day than by night, a bit fewer at weekends (UTC: a global shop)."""
    weight = 1.0 if 7 <= moment.hour <= 22 else 0.35
    return weight * (0.8 if moment.weekday() >= 5 else 1.0)


def backfill_placements(seed: int, count: int, start: datetime, end: datetime) -> list[datetime]:
    """`count` placement times in [start, end), sorted, with a daily rhythm; same seed, same times."""
    rng = random.Random(f"{seed}/arrivals")
    span_s = (end - start).total_seconds()
    times = []
    while len(times) < count:
        moment = start + timedelta(seconds=rng.random() * span_s)
        if rng.random() <= _placement_weight(moment):
            times.append(moment.replace(microsecond=moment.microsecond // 1000 * 1000))
    return sorted(times)


def live_gaps_s(seed: int, rate_per_s: float):
    """Seconds between live orders: a Poisson process at `rate_per_s`, from the seed."""
    rng = random.Random(f"{seed}/live-arrivals")
    while True:
        yield rng.expovariate(rate_per_s)
