"""Options of a simulation run, and the parsing of what people type: "20/s", "10m", "30d", mixes."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

GIVE_UP_AFTER_S = 120.0  # no answer from any service for this long while asking: the stack is gone

_SPAN_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_SPAN_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?\s*$")
_RATE_UNIT_S = {None: 1, "s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
FOREVER = math.inf


def parse_span(text: str) -> float:
    """Seconds in "90s", "10m", "1h30m", "30d", "2w", "0"; "forever" (or "inf") is unbounded."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned in ("forever", "inf", "infinite", "unlimited"):
        return FOREVER
    if re.fullmatch(r"\d+(\.\d+)?", cleaned):
        if float(cleaned) == 0:
            return 0.0
        raise ValueError(f"{text!r} needs a unit: s, m, h, d or w (e.g. 10m, 30d)")
    position, total = 0, 0.0
    for match in _SPAN_PART.finditer(cleaned):
        if match.start() != position:
            break
        total += float(match.group(1)) * _SPAN_UNIT_S[match.group(2)]
        position = match.end()
    if position != len(cleaned) or not cleaned:
        raise ValueError(f"{text!r} is not a span: use e.g. 90s, 10m, 1h30m, 30d, or forever")
    return total


def parse_rate(text: str) -> float:
    """Orders per second in "20/s", "300/m", "5000/h" or a bare "20" (per second)."""
    match = _RATE.match(text.lower())
    if match is None:
        raise ValueError(f"{text!r} is not a rate: use e.g. 20/s, 300/m or 5000/h")
    return float(match.group(1)) / _RATE_UNIT_S[match.group(2)]


def format_span(seconds: float) -> str:
    if math.isinf(seconds):
        return "forever"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


# shares of something that already went wrong (or of delivered orders), not rates of mistakes
SHARES = frozenset({"document_override", "survey_answered", "damage_issue", "late_issue"})


@dataclass(frozen=True)
class ErrorMix:
    """How often each thing goes wrong: a probability per order (or per parcel, per delivered order)."""

    price_mistake: float = 0.03  # storefront sends a stale price: held, then corrected
    address_mistake: float = 0.01  # incomplete address: held, then corrected
    pending_payment: float = 0.08  # checkout not yet authorized: waits for the signed payments callback
    payment_failure: float = 0.015  # the callback says failed first (held), authorized later
    cancellation: float = 0.02  # the customer cancels before dispatch
    backorder: float = 0.03  # the order includes a scarce sku: backordered, restocked, shipped as a second parcel
    short_pick: float = 0.015  # picker finds fewer units: packed short, fulfillment closed short
    document_error: float = 0.03  # documents disagree with the package at pack
    document_override: float = 0.35  # share of document errors dispatched anyway (else re-packed)
    late_dispatch: float = 0.03  # dispatched after the ship deadline
    carrier_delay: float = 0.04  # a `delayed` scan with a new eta
    failed_attempt: float = 0.03  # a `delivery_failed` scan, delivered at the next attempt
    damage_in_transit: float = 0.01  # a `damaged_in_transit` exception
    damage_at_delivery: float = 0.01  # delivered with condition damaged
    late_delivery: float = 0.03  # delivered after promised_by (40 % after a delay or failed attempt)
    returns: float = 0.05  # a return is requested after delivery (and received by the warehouse)
    survey_answered: float = 0.35  # share of delivered orders whose customer answers the survey
    damage_issue: float = 0.5  # share of damaged orders for which support opens a `damaged` issue
    late_issue: float = 0.3  # share of late deliveries for which support opens a `late` issue
    billing_issue: float = 0.01  # support opens a `billing` issue after delivery
    issue_ack_late: float = 0.08  # share of issues acknowledged after their ack_due (history only)
    issue_resolve_late: float = 0.1  # share of issues resolved after their resolve_due (history only)

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"mix {item.name}={value} must be a probability between 0 and 1")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(item.name for item in fields(cls))

    def with_text(self, text: str | None) -> ErrorMix:
        """`price_mistake=0.05,damage_in_transit=0` (names as in this class; `-` works for `_`)."""
        if not text:
            return self
        changes: dict[str, float] = {}
        for part in filter(None, (piece.strip() for piece in text.split(","))):
            name, sep, value = part.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in self.names():
                raise ValueError(f"unknown mix entry {part!r}; known: {', '.join(self.names())}")
            try:
                changes[name] = float(value.rstrip("%")) / (100 if value.strip().endswith("%") else 1)
            except ValueError:
                raise ValueError(f"mix entry {part!r} needs a number, e.g. {name}=0.05 or {name}=5%") from None
        return replace(self, **changes)

    def scaled(self, factor: float) -> ErrorMix:
        """Every probability times `factor` (capped at 1); the SHARES are kept."""
        return replace(
            self,
            **{
                item.name: min(1.0, getattr(self, item.name) * factor)
                for item in fields(self)
                if item.name not in SHARES
            },
        )


@dataclass(frozen=True)
class SimulationConfig:
    stack_path: Path = Path(".orderpulse/stack.json")
    seed: int = 7
    rate_per_s: float = 20.0  # live orders per second
    duration_s: float = 600.0  # live phase; 0 = none, inf = until interrupted
    live_orders: int | None = None  # stop the live phase after this many orders
    backfill_s: float = 0.0  # history to replay first (0 = none)
    backfill_orders: int | None = None  # default: 50 per day of history
    concurrency: int = 32  # requests in flight (each story step holds one slot)
    live_speedup: float = 2880.0  # live stories run this much faster than real time (2880: a day in 30 s)
    drain_s: float = 60.0  # after the live phase, how long stories in flight may finish
    progress_every_s: float = 5.0
    run_tag: str | None = None  # prefix of ids, unique per run (default: from the clock)
    merchant_timezone: str = "UTC"  # must match the services' setting (business days of ship deadlines)
    mix: ErrorMix = field(default_factory=ErrorMix)
    report_path: Path | None = None  # also write the summary as JSON
    kpi_window: str = "30d"
    kpi_wait_s: float = 30.0  # at the end, how long to wait for kpi-svc to catch up
    give_up_after_s: float = GIVE_UP_AFTER_S  # no service answering for this long: the stack is gone, the run stops

    def __post_init__(self) -> None:
        if self.rate_per_s < 0 or self.duration_s < 0 or self.backfill_s < 0:
            raise ValueError("rate, duration and backfill must not be negative")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.live_speedup < 1:
            raise ValueError("live speed-up must be at least 1 (1 = real time)")
        if self.backfill_orders is not None and self.backfill_orders < 0:
            raise ValueError("backfill orders must not be negative")
        if self.give_up_after_s <= 0:
            raise ValueError("--give-up-after must be a positive time, e.g. 2m (or forever)")

    @property
    def planned_backfill_orders(self) -> int:
        if self.backfill_s <= 0:
            return 0
        if self.backfill_orders is not None:
            return self.backfill_orders
        return max(1, round(50 * self.backfill_s / 86400))

    @property
    def has_live_phase(self) -> bool:
        return self.duration_s > 0 and self.rate_per_s > 0 and self.live_orders != 0
