"""The part of an order's `orders` row that following fulfillment changes, written back alone.

A fulfillment fact moves the status and the version, the completion, the confirmations' ledger
and the corrections' outcomes; only a restore (a correction that reached the warehouse too late)
also changes the lines and the address. `rows.order_row` rebuilds all ~35 columns (its JSON parts
from every line, correction and confirmation) for every order a consumer batch touches: most of
the write-back's cost, for columns that did not change.

So the row an order was read with is remembered (`StoredRow`): every attribute the other columns
come from — by identity, as the domain replaces them and never changes them in place (they are
strings, enums, numbers, times, tuples and frozen values) — and the followed JSON columns as they
were read, with what they were built from. `followed_row` gives the followed columns alone when
nothing else changed (else None: write the whole row), each JSON column as it was read when its
source is the same (the corrections' and awaiting confirmations' lists, changed in place, are
compared element by element, by identity; a confirmation that moved from awaiting to applied
keeps its JSON).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter, is_
from typing import Any, NamedTuple

from order_svc.adapters import rows
from order_svc.domain.confirmations import SentConfirmation
from order_svc.domain.model import Order
from order_svc.domain.values import Correction, SkuQuantity

FOLLOWED_COLUMNS = (
    "order_id",  # the key
    "status",
    "version",
    "completed_lines",
    "completed_at",
    "closed_short",
    "corrections",
    "awaiting_confirmations",
    "warehouse_copy",
    "packed_at",
)

# what every other column of `rows.order_row` is built from (`total` from the lines and the tax rate)
REST_ATTRIBUTES = (
    "order_id", "customer_id", "customer_tier", "channel", "service_level", "currency", "ship_to", "lines",
    "tax_rate", "placed_at", "requested_at", "promised_by", "payment_status", "payment_reference",
    "authorized_amount", "discrepancies", "entry_discrepancies", "cancelled_at", "cancel_reason",
    "last_line_number",
)
_REST = attrgetter(*REST_ATTRIBUTES)


class StoredRow(NamedTuple):
    """What an order's `orders` row holds (as read or last written) and what it was built from (a
    NamedTuple: built for every order read and written, ~1 µs cheaper than a frozen dataclass)."""

    rest: tuple
    completed_lines: tuple[SkuQuantity, ...]
    corrections: tuple[Correction, ...]
    awaiting: tuple[SentConfirmation, ...]
    applied: SentConfirmation | None
    json: tuple[Any, Any, Any, Any]  # completed_lines, corrections, awaiting_confirmations, warehouse_copy

    @classmethod
    def of(cls, order: Order, row: Mapping[str, Any]) -> StoredRow:
        """`row` holds at least the followed JSON columns of `order` as stored (read, or written)."""
        ledger = order.confirmations
        return cls(
            rest=_REST(order),
            completed_lines=order.fulfillment.completed_lines,
            corrections=tuple(order.corrections),
            awaiting=tuple(ledger.awaiting),
            applied=ledger.applied,
            json=(row["completed_lines"], row["corrections"], row["awaiting_confirmations"], row["warehouse_copy"]),
        )


def followed_row(order: Order, stored: StoredRow) -> dict[str, Any] | None:
    """The `FOLLOWED_COLUMNS` of `order`'s row, or None when another column may have changed."""
    if not all(map(is_, _REST(order), stored.rest)):
        return None
    progress, ledger = order.fulfillment, order.confirmations
    completed_lines, corrections, awaiting, copy = stored.json
    if progress.completed_lines is not stored.completed_lines:
        completed_lines = rows.sku_lines_data(progress.completed_lines)
    if not _same(order.corrections, stored.corrections):
        corrections = [c.to_record() for c in order.corrections]
    if not _same(ledger.awaiting, stored.awaiting):
        awaiting = [_confirmation_data(c, stored) for c in ledger.awaiting]
    if ledger.applied is not stored.applied:  # e.g. the oldest awaiting one, now applied: its JSON as read
        copy = None if ledger.applied is None else _confirmation_data(ledger.applied, stored)
    return {
        "order_id": order.order_id,
        "status": order.status.value,
        "version": order.version,
        "completed_lines": completed_lines,
        "completed_at": progress.completed_at,
        "closed_short": progress.closed_short,
        "corrections": corrections,
        "awaiting_confirmations": awaiting,
        "warehouse_copy": copy,
        "packed_at": ledger.packed_at,
    }


def _confirmation_data(confirmation: SentConfirmation, stored: StoredRow) -> Any:
    """The confirmation's JSON as stored when the stored row holds that very confirmation."""
    if confirmation is stored.applied:
        return stored.json[3]
    for sent, data in zip(stored.awaiting, stored.json[2], strict=True):
        if sent is confirmation:
            return data
    return rows.confirmation_data(confirmation)


def _same(now: Sequence, then: tuple) -> bool:
    return len(now) == len(then) and all(map(is_, now, then))
