"""What an order learns from fulfillment-svc: its status from the fulfillment facts, and whether
the warehouse applied the corrections sent to it (`confirmations.py`). A mixin of `Order`
(model.py), kept apart so the aggregate's module stays readable."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from . import events as ev
from . import rules as _rules
from .confirmations import RESTORED, follow_confirmations
from .progress import LinesLike
from .status import OrderStatus, fact_kind, furthest
from .times import require_aware

RESTORE_REASON = "restored what the warehouse ships: a correction reached it after packing and was not applied"


class FollowsFulfillment:
    """`apply_fulfillment_fact`, and the restore of a correction that reached the warehouse too late."""

    def apply_fulfillment_fact(
        self,
        kind: str,
        occurred_at: datetime,
        *,
        shipment_id: str | None = None,
        lines: LinesLike = (),
        carrier: str | None = None,
        tracking_number: str | None = None,
        condition: str | None = None,
        closed_short: bool | None = None,
    ) -> bool:
        """Follow a fulfillment event; `kind` is its type with or without the version and
        `orderpulse.` prefix. `lines` are the event's [{sku, quantity}]: dispatched lines,
        delivered lines, or `lines_delivered` of `fulfillment.completed`. Every fact is
        recorded; the status only moves forward and never leaves `cancelled`. A
        `fulfillment.created` acknowledges a confirmation; a packing fact that finds
        corrections still unanswered records that they were not applied, and restores (with
        `order.corrected`, and an invoice when the lines change) what the warehouse ships.
        Returns whether the status changed."""
        kind = fact_kind(kind)
        occurred_at = require_aware(occurred_at, "occurred_at")
        self._follow_confirmations(kind, occurred_at)
        implied = self.fulfillment.record(
            kind,
            occurred_at,
            self.lines,
            shipment_id=shipment_id,
            lines=lines,
            carrier=carrier,
            tracking_number=tracking_number,
            condition=condition,
            closed_short=closed_short,
        )
        self.version += 1
        if implied is None:
            return False
        status = furthest(self.status, implied)
        changed, self.status = status is not self.status, status
        return changed

    def _follow_confirmations(self, kind: str, occurred_at: datetime) -> None:
        """Make the order say what the warehouse ships when a correction came too late."""
        if self.status is OrderStatus.CANCELLED:
            return
        restore = follow_confirmations(self.confirmations, self.corrections, kind, occurred_at)
        if restore is None:
            return
        shipped, at = restore
        corrections = _rules.corrections_between(self.lines, shipped.lines, self.ship_to, shipped.ship_to, RESTORE_REASON)
        if not corrections:
            return
        lines_changed = shipped.lines != self.lines
        self.lines, self.ship_to = shipped.lines, shipped.ship_to
        self.corrections.extend(replace(c, outcome=RESTORED) for c in corrections)
        self._record(ev.OrderCorrected(occurred_at=at, order_id=self.order_id, corrections=corrections))
        if lines_changed:
            self._issue_invoice(at)

