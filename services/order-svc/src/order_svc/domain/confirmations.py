"""Which of an order's confirmations the warehouse has applied.

order-svc confirms an order again after each correction; fulfillment-svc applies a
re-confirmation until something is packed and answers each applied one with a
`fulfillment.created` (same fulfillment id, the new lines). Events of one order keep their order
on the fulfillment topic, so: a `fulfillment.created` acknowledges the oldest confirmation still
awaiting one, and a packing fact (`fulfillment.packed`, any shipment fact, completion) that
arrives while confirmations still await acknowledgement proves they came too late — the
warehouse had packed before it read them and will never apply them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from .values import Address, Correction, OrderLine

PACKING_FACTS = frozenset({"fulfillment.packed", "fulfillment.completed"})

APPLIED = "applied"
AWAITING_WAREHOUSE = "awaiting_warehouse"
NOT_APPLIED = "not_applied"
RESTORED = "restored"


def is_packing_fact(kind: str) -> bool:
    """Facts that exist only once the warehouse has packed (or closed) the order."""
    return kind in PACKING_FACTS or kind.startswith("shipment.")


@dataclass(frozen=True)
class SentConfirmation:
    """What one `order.confirmed` told the warehouse; `corrections` is how many of the order's
    corrections it carries (the first n)."""

    lines: tuple[OrderLine, ...]
    ship_to: Address
    at: datetime
    corrections: int


@dataclass
class ConfirmationLedger:
    awaiting: list[SentConfirmation] = field(default_factory=list)
    applied: SentConfirmation | None = None  # what the warehouse works from
    packed_at: datetime | None = None  # when order-svc first heard the order was packed

    def sent(self, confirmation: SentConfirmation) -> None:
        self.awaiting.append(confirmation)

    def acknowledged(self) -> SentConfirmation | None:
        """A `fulfillment.created`: the oldest awaiting confirmation was applied (None: none awaited,
        e.g. an order confirmed before order-svc kept this ledger)."""
        if not self.awaiting:
            return None
        self.applied = self.awaiting.pop(0)
        return self.applied

    def packed(self, occurred_at: datetime) -> list[SentConfirmation]:
        """A packing fact: returns the confirmations that can no longer be applied (and forgets them)."""
        if self.packed_at is None or occurred_at < self.packed_at:
            self.packed_at = occurred_at
        lost, self.awaiting = self.awaiting, []
        return lost


def follow_confirmations(
    ledger: ConfirmationLedger, corrections: list[Correction], kind: str, occurred_at: datetime
) -> tuple[SentConfirmation, datetime] | None:
    """Update the ledger and the corrections' outcomes for one fulfillment fact. Returns what the
    order must be restored to, and when, if the fact proves that corrections were not applied."""
    if kind == "fulfillment.created":
        applied = ledger.acknowledged()
        if applied is not None:
            _set_outcomes(corrections, AWAITING_WAREHOUSE, APPLIED, upto=applied.corrections)
        return None
    if not is_packing_fact(kind):
        return None
    lost = ledger.packed(occurred_at)
    if not lost:
        return None
    _set_outcomes(corrections, AWAITING_WAREHOUSE, NOT_APPLIED, upto=len(corrections))
    if ledger.applied is None:
        return None
    # just after both the packing and the last correction, so it is the latest word on the lines
    return ledger.applied, max(occurred_at, lost[-1].at) + timedelta(milliseconds=1)


def _set_outcomes(corrections: list[Correction], before: str, after: str, *, upto: int) -> None:
    for index, correction in enumerate(corrections[:upto]):
        if correction.outcome == before:
            corrections[index] = replace(correction, outcome=after)
