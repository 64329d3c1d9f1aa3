"""The settings of the KPI rules: one frozen value, defaults from kpis.md."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from zoneinfo import ZoneInfo

KPI_NAMES: tuple[str, ...] = (
    "perfect_order",
    "perfect_order_multiplicative",
    "on_time_delivery",
    "in_full",
    "damage_free",
    "documentation_accuracy",
    "shipped_within_sla",
    "order_entry_accuracy",
    "invoice_accuracy",
    "first_time_fill_rate",
    "csat",
    "issue_ack_within_sla",
    "issue_resolved_within_sla",
    "notification_timeliness",
    "status_communication_accuracy",
    "orders_per_labor_hour",
    "cost_per_order",
)

# kpis.md "Targets": ratios default to 0.95 (order_entry_accuracy 0.98); the value KPIs
# (orders_per_labor_hour, cost_per_order, the multiplicative perfect order) have no default target.
VALUE_KPIS: frozenset[str] = frozenset({"orders_per_labor_hour", "cost_per_order", "perfect_order_multiplicative"})
DEFAULT_TARGETS: Mapping[str, float | None] = MappingProxyType(
    {
        **{name: 0.95 for name in KPI_NAMES},
        "order_entry_accuracy": 0.98,
        **{name: None for name in VALUE_KPIS},
    }
)

# For these a lower value is better by default: meets_target means value <= target. A configured
# target states its direction (KpiRules.lower_is_better) for any KPI.
LOWER_IS_BETTER: frozenset[str] = frozenset({"cost_per_order"})

# kpis.md "Windows and groups": 1h, 24h, 7d, 30d, and for burn-rate alerts 5m, 30m, 6h, 3d.
WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "6h", "24h", "3d", "7d", "30d")

GROUP_DIMENSIONS: tuple[str, ...] = ("carrier", "warehouse", "tier", "channel", "service_level")

_WINDOW_RE = re.compile(r"^([1-9][0-9]*)([mhd])$")
_UNIT_S = {"m": 60, "h": 3600, "d": 86400}


def window_seconds(window: str) -> int:
    """`"24h"` -> 86400; raises ValueError for anything that is not `<n>m|h|d`."""
    match = _WINDOW_RE.match(window) if isinstance(window, str) else None
    if match is None:
        raise ValueError(f"not a window: {window!r} (expected e.g. 1h, 24h, 7d, 30d)")
    return int(match.group(1)) * _UNIT_S[match.group(2)]


@dataclass(frozen=True, slots=True)
class KpiRules:
    """Everything that tunes the KPI definitions; build once, pass to every engine.

    `targets` overrides DEFAULT_TARGETS for the KPIs it names (None: no target).

    `cold_after_s` / `in_flight_cold_after_s`: an order (settled / not settled yet) whose latest
    event is this much older than the engine clock is kept compressed until its next event or
    clock (coldstore.py; None: never). Short by default (10 s), so that in live traffic nearly
    every open order sits compressed while it waits for its next milestone (docs/kpi-decisions.md,
    "Memory", 2026-12-06 night): the clock there is the wall clock, so 10 s of event time is
    10 s of waiting, and an expanded order costs ~6-8 KB against ~0.7-0.9 KB compressed. What
    it costs is a thaw and a freeze (~70 us) per burst of events of an order. In a replay the
    quiet time hardly matters: the check runs only in advance() (a checkpoint, every few seconds
    of replay, hours of event time), and an order with an unreconciled event is never frozen.
    It must stay above the checkpoint interval, or a changed order would be thawed again to
    write its checkpoint row.

    `hot_orders_cap`: when an event leaves more orders expanded than this, those expanded
    longest, down to half of it, are reconciled and compressed (lifecycle.py, `_cool_down`). A
    replay reaches thousands of orders between two checkpoints, and each stayed expanded
    (~5.5 KB) until the next `advance()` - or for good while catching up with flush=False; that
    transient set set the allocator's high-water mark (docs/kpi-decisions.md, "Memory",
    replay). Live, fewer orders than this are expanded at once. Costs CPU in a replay (~30 % of
    the engine's at 2,000): orders touched again after they were compressed are thawed again.
    """

    claim_window_s: int = 7 * 86400
    merchant_timezone: str = "UTC"
    holidays: tuple[date, ...] = ()
    targets: Mapping[str, float | None] = field(default_factory=dict)
    notification_timely_s: int = 300
    bucket_s: int = 60
    coarse_bucket_s: int = 3600
    group_retention_s: int = 25 * 3600
    windows: tuple[str, ...] = WINDOWS
    lower_is_better: frozenset[str] = LOWER_IS_BETTER
    issue_ack_s: int = 24 * 3600
    issue_resolve_s: int = 48 * 3600
    eviction_grace_s: int = 3600
    cold_after_s: int | None = 10  # a settled order quiet this long is kept compressed
    in_flight_cold_after_s: int | None = 10  # an order not settled yet, quiet this long, too
    hot_orders_cap: int | None = 2000  # more expanded orders than this: the oldest compressed (None: no cap)
    evictions_per_advance: int | None = 2000  # orders leaving memory per advance(), the rest at the next (None: all)
    idle_order_s: int = 30 * 86400
    settled_retention_s: int = 90 * 86400  # a settled order's facts stay in the store (scorecards, late events)
    label_value_cap: int = 50

    def __post_init__(self) -> None:
        ZoneInfo(self.merchant_timezone)  # fails loudly on an unknown zone
        unknown = (set(self.targets) | set(self.lower_is_better)) - set(KPI_NAMES)
        if unknown:
            raise ValueError(f"targets for unknown KPIs: {sorted(unknown)}")
        if self.bucket_s <= 0 or self.coarse_bucket_s % self.bucket_s:
            raise ValueError("coarse_bucket_s must be a positive multiple of bucket_s")
        for window in self.windows:
            if window_seconds(window) % self.bucket_s:
                raise ValueError(f"window {window} is not a whole number of buckets")
        if self.hot_orders_cap is not None and self.hot_orders_cap < 1:
            raise ValueError("hot_orders_cap must be positive (None: no cap)")
        if self.evictions_per_advance is not None and self.evictions_per_advance < 1:
            raise ValueError("evictions_per_advance must be positive (None: no limit)")
        if self.claim_window_s < 0 or self.eviction_grace_s < 0:
            raise ValueError("claim_window_s and eviction_grace_s must not be negative")

    def target(self, kpi: str) -> float | None:
        return self.targets[kpi] if kpi in self.targets else DEFAULT_TARGETS[kpi]

    @property
    def longest_window_s(self) -> int:
        return max(window_seconds(w) for w in self.windows)
