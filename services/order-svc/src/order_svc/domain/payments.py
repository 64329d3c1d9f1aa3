"""The payment provider's callbacks on an order: authorized (for the total, or for another amount),
failed. A mixin of `Order` (model.py), kept apart so the aggregate's module stays readable."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from . import events as ev
from . import recorded
from .commands import RecordPaymentResult
from .errors import InvalidInput
from .money import money_text, parse_amount
from .status import OrderStatus
from .times import event_time
from .validation import choice, optional_text, required_text
from .values import Discrepancy, DiscrepancyCode, PaymentStatus

PAYMENT_FAILED = DiscrepancyCode.PAYMENT_FAILED
PAYMENT_AMOUNT_MISMATCH = DiscrepancyCode.PAYMENT_AMOUNT_MISMATCH
PAYMENT_FINDINGS = frozenset({PAYMENT_FAILED, PAYMENT_AMOUNT_MISMATCH})


class TakesPayments:
    """`record_payment` and what corrections need to know about payment findings."""

    authorized_amount: Decimal | None
    discrepancies: tuple[Discrepancy, ...]

    def record_payment(self, command: RecordPaymentResult, now: datetime) -> None:
        """The payments callback. Authorized: a pending order is confirmed and invoiced, a
        held one released if a payment finding was all that held it. An authorization of
        another amount than the order's total is recorded but holds the order with
        `payment_amount_mismatch` (a later authorization of the total releases it). Failed:
        the order is held with `payment_failed`. Once authorized, later callbacks change nothing."""
        result = choice(PaymentStatus, command.status, "status")
        if result is PaymentStatus.PENDING:
            raise InvalidInput("status must be authorized or failed", field="status")
        amount = parse_amount(command.amount, "amount", self.currency)
        reference = required_text(command.reference, "reference")
        reason = optional_text(command.reason, "reason") or "declined"
        at = event_time(command.occurred_at, now, "occurred_at", not_before=self.placed_at)
        if self.payment_status is PaymentStatus.AUTHORIZED:
            return
        repeated_failure = self.payment_status is PaymentStatus.FAILED and reference == self.payment_reference
        if result is PaymentStatus.FAILED and repeated_failure:
            return
        mismatch = result is PaymentStatus.AUTHORIZED and amount != self.total
        if mismatch and reference == self.payment_reference and self._holds_for(PAYMENT_AMOUNT_MISMATCH):
            return  # the same wrong authorization again
        self.payment_reference = reference
        self.payment_status = PaymentStatus.PENDING if mismatch else result
        self.authorized_amount = amount if mismatch else None
        if result is PaymentStatus.AUTHORIZED:
            self._record(recorded.payment_authorized(self, at, amount, reference))
        else:
            self._record(ev.PaymentFailed(occurred_at=at, order_id=self.order_id, reason=reason))
        self.version += 1
        if self.status not in (OrderStatus.HELD, OrderStatus.PENDING_PAYMENT):
            return  # e.g. cancelled: the payment fact is recorded, the order stays as it is
        held_for = self.discrepancies
        self.discrepancies = tuple(d for d in held_for if d.code not in PAYMENT_FINDINGS)
        if result is PaymentStatus.FAILED:
            self.discrepancies += (Discrepancy(PAYMENT_FAILED, "payment", f"payment {reference}: {reason}"),)
        elif mismatch:
            authorized, total = money_text(amount, self.currency), money_text(self.total, self.currency)
            detail = f"payment {reference} authorized {authorized} {self.currency}, the order totals {total}"
            self.discrepancies += (Discrepancy(PAYMENT_AMOUNT_MISMATCH, "amount", detail),)
        self._settle(at, held_for=held_for)

    def _payment_findings_after_correction(self) -> tuple[Discrepancy, ...]:
        """Payment findings survive corrections, except an amount mismatch the correction resolved
        (the corrected total is what was authorized: the order counts as authorized)."""
        kept = tuple(d for d in self.discrepancies if d.code in PAYMENT_FINDINGS)
        if self.authorized_amount is not None and self.authorized_amount == self.total:
            self.payment_status, self.authorized_amount = PaymentStatus.AUTHORIZED, None
            kept = tuple(d for d in kept if d.code is not PAYMENT_AMOUNT_MISMATCH)
        return kept

    def _holds_for(self, code: DiscrepancyCode) -> bool:
        return any(d.code is code for d in self.discrepancies)

