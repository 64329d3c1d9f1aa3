"""The Order aggregate: placing, payment, corrections, cancellation, returns, and a status
that follows fulfillment facts. It records events in `events`; nothing here publishes.

`Customer` and `CatalogItem` live in `customer.py` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from . import events as ev
from . import recorded
from . import rules as _rules
from .checks import entry_findings, normalized_address
from .commands import CancelOrder, CorrectOrder, PlaceOrder, RequestReturn
from .confirmations import AWAITING_WAREHOUSE, ConfirmationLedger, SentConfirmation
from .customer import CatalogItem, Customer
from .errors import (
    CannotCancelDispatched,
    CorrectionAfterPacking,
    CorrectionLeavesDiscrepancies,
    CorrectionNotAllowed,
    InvalidInput,
    ReturnExceedsDelivered,
    ReturnNotAllowed,
    UnknownCustomer,
)
from .following import FollowsFulfillment
from .money import ZERO, in_minor_units, parse_rate, within_total_limit
from .payments import TakesPayments
from .progress import FulfillmentProgress, sku_counts
from .rules import OrderRules, PromiseCalendar
from .status import AT_WAREHOUSE, CORRECTABLE, DISPATCHED, RETURNABLE, OrderStatus
from .times import event_time
from .validation import LineIds, choice, optional_text, order_lines, required_text, sku_quantities
from .values import (
    Address,
    Channel,
    Correction,
    Discrepancy,
    Invoice,
    OrderLine,
    PaymentStatus,
    ReturnKind,
    ReturnReason,
    ReturnRequest,
    ServiceLevel,
    ShipmentSummary,
    Tier,
)

__all__ = ["CatalogItem", "Customer", "Order", "OrderRules", "PromiseCalendar"]

CHECKOUT_REFERENCE = "checkout"  # the authorization reference when the storefront sent none


@dataclass(eq=False)
class Order(TakesPayments, FollowsFulfillment):
    order_id: str
    customer_id: str
    customer_tier: Tier
    channel: Channel
    service_level: ServiceLevel
    currency: str
    ship_to: Address
    lines: tuple[OrderLine, ...]
    tax_rate: Decimal
    promised_by: datetime
    placed_at: datetime
    requested_at: datetime | None = None
    status: OrderStatus = OrderStatus.PENDING_PAYMENT
    payment_status: PaymentStatus = PaymentStatus.PENDING
    payment_reference: str | None = None
    authorized_amount: Decimal | None = None  # of an authorization that did not match the total
    discrepancies: tuple[Discrepancy, ...] = ()  # what holds the order now
    entry_discrepancies: tuple[Discrepancy, ...] = ()  # what the entry checks found at placing
    corrections: list[Correction] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    returns: list[ReturnRequest] = field(default_factory=list)
    fulfillment: FulfillmentProgress = field(default_factory=FulfillmentProgress)
    confirmations: ConfirmationLedger = field(default_factory=ConfirmationLedger)
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    last_line_number: int = 0
    version: int = 0
    events: list[ev.Event] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Order) and other.order_id == self.order_id

    def __hash__(self) -> int:
        return hash(self.order_id)

    @property
    def subtotal(self) -> Decimal:
        return self._subtotal_of(self.lines)

    @property
    def tax(self) -> Decimal:
        return in_minor_units(self.subtotal * self.tax_rate, self.currency)

    @property
    def total(self) -> Decimal:
        return self._total_of(self.lines)

    def _subtotal_of(self, lines: tuple[OrderLine, ...]) -> Decimal:
        return in_minor_units(sum((line.amount for line in lines), ZERO), self.currency)

    def _total_of(self, lines: tuple[OrderLine, ...]) -> Decimal:
        subtotal = self._subtotal_of(lines)
        return subtotal + in_minor_units(subtotal * self.tax_rate, self.currency)

    @property
    def invoice(self) -> Invoice | None:
        """The invoice in force: the last one issued."""
        return self.invoices[-1] if self.invoices else None

    @property
    def shipments(self) -> tuple[ShipmentSummary, ...]:
        return tuple(self.fulfillment.shipments.values())

    @classmethod
    def place(
        cls,
        command: PlaceOrder,
        *,
        order_id: str,
        customer: Customer | None,
        catalog: Mapping[str, CatalogItem],
        rules: OrderRules,
        now: datetime,
    ) -> Order:
        """Run every entry check: any finding holds the order; otherwise it is confirmed and
        invoiced when payment is authorized, or waits for the payments callback."""
        if customer is None:
            raise UnknownCustomer(f"customer {command.customer_id!r} is not known", field="customer_id")
        if command.customer_id != customer.customer_id:
            raise InvalidInput("customer_id does not match the customer given", field="customer_id")
        payment = choice(PaymentStatus, command.payment_status, "payment_status")
        if payment is PaymentStatus.FAILED:
            raise InvalidInput("payment_status must be authorized or pending", field="payment_status")
        placed_at = event_time(command.placed_at, now, "placed_at")
        order_id = required_text(order_id, "order_id")
        service_level = choice(ServiceLevel, command.service_level, "service_level")
        currency = _rules.order_currency(command.currency, _skus(command.lines), catalog, rules.default_currency)
        lines = order_lines(command.lines, LineIds(order_id, 0), currency=currency)
        order = cls(
            order_id=order_id,
            customer_id=customer.customer_id,
            customer_tier=customer.tier,
            channel=choice(Channel, command.channel, "channel"),
            service_level=service_level,
            currency=currency,
            ship_to=normalized_address(command.ship_to or Address()),
            lines=lines,
            tax_rate=parse_rate(rules.tax_rate),
            promised_by=_rules.promised_by(command.promised_by, placed_at, service_level, customer, rules.calendar),
            placed_at=placed_at,
            requested_at=_rules.requested_at(command.requested_at, placed_at),
            payment_reference=optional_text(command.payment_reference, "payment_reference"),
            last_line_number=len(lines),
        )
        within_total_limit(order.total)
        order.entry_discrepancies = entry_findings(lines, order.ship_to, catalog, order.currency)
        order.discrepancies = order.entry_discrepancies
        order._record(recorded.placed(order))
        if payment is PaymentStatus.AUTHORIZED:
            order.payment_status = payment
            reference = order.payment_reference or CHECKOUT_REFERENCE
            order._record(recorded.payment_authorized(order, placed_at, order.total, reference))
        order._settle(placed_at, held_for=())
        return order

    def correct(self, command: CorrectOrder, catalog: Mapping[str, CatalogItem], now: datetime) -> None:
        """Replace the given fields whole and re-run the entry checks.

        Allowed until order-svc hears that the order was packed. A confirmed order (also one a
        warehouse has taken up) must stay free of findings; it is confirmed again with its new
        details, re-invoiced when its lines changed, and its corrections await the warehouse's
        answer (see `confirmations.py`).
        """
        packed = self.confirmations.packed_at is not None or bool(self.fulfillment.shipments)
        if packed and self.status is not OrderStatus.CANCELLED:
            raise CorrectionAfterPacking(
                f"order {self.order_id} was packed by the warehouse: it ships as it is. Cancel it and place "
                "a new order, or request a return once it is delivered"
            )
        if self.status not in CORRECTABLE:
            raise CorrectionNotAllowed(f"an order that is {self.status} can no longer be corrected")
        reason = required_text(command.reason, "reason")
        if command.lines is None and command.ship_to is None:
            raise InvalidInput("give lines or ship_to to correct", field="lines")
        at = event_time(command.occurred_at, now, "occurred_at", not_before=self.placed_at)
        line_ids = LineIds(self.order_id, self.last_line_number)
        lines = self.lines
        if command.lines is not None:
            lines = order_lines(command.lines, line_ids, reuse=self.lines, currency=self.currency)
            within_total_limit(self._total_of(lines))
        ship_to = self.ship_to if command.ship_to is None else normalized_address(command.ship_to)
        findings = entry_findings(lines, ship_to, catalog, self.currency)
        if self.status in AT_WAREHOUSE and findings:
            raise CorrectionLeavesDiscrepancies(
                "a confirmed order can only be corrected into one that passes the entry checks: "
                + "; ".join(finding.detail for finding in findings),
                discrepancies=findings,
                field=findings[0].field,
            )
        corrections = _rules.corrections_between(self.lines, lines, self.ship_to, ship_to, reason)
        lines_changed = lines != self.lines
        self.lines, self.ship_to, self.last_line_number = lines, ship_to, line_ids.last_number
        at_warehouse = self.status in AT_WAREHOUSE
        if corrections:
            self._record(ev.OrderCorrected(occurred_at=at, order_id=self.order_id, corrections=corrections))
            if at_warehouse:
                corrections = tuple(replace(c, outcome=AWAITING_WAREHOUSE) for c in corrections)
            self.corrections.extend(corrections)
        held_for = self.discrepancies
        self.discrepancies = findings + self._payment_findings_after_correction()
        if at_warehouse:
            if corrections:
                self._confirm(at)
            if lines_changed:
                self._issue_invoice(at)
        else:
            self._settle(at, held_for=held_for)
        self.version += 1

    def cancel(self, command: CancelOrder, now: datetime) -> None:
        """Cancel before anything is dispatched; cancelling a cancelled order changes nothing."""
        reason = required_text(command.reason, "reason")
        cancelled_by = required_text(command.cancelled_by, "cancelled_by")
        at = event_time(command.occurred_at, now, "occurred_at", not_before=self.placed_at)
        if self.status is OrderStatus.CANCELLED:
            return
        if self.status in DISPATCHED:
            raise CannotCancelDispatched(
                f"order {self.order_id} is {self.status}: it has been dispatched; request a return instead"
            )
        self.status, self.cancelled_at, self.cancel_reason = OrderStatus.CANCELLED, at, reason
        self._record(
            ev.OrderCancelled(occurred_at=at, order_id=self.order_id, reason=reason, cancelled_by=cancelled_by)
        )
        self.version += 1

    def request_return(self, command: RequestReturn, now: datetime) -> ReturnRequest:
        """Return delivered units: per sku, at most what was delivered less what earlier
        return requests already claimed."""
        reason = choice(ReturnReason, command.reason, "reason")
        kind = choice(ReturnKind, command.kind, "kind")
        lines = sku_quantities(command.lines)
        if not lines:
            raise InvalidInput("lines must hold at least one line", field="lines")
        at = event_time(command.occurred_at, now, "occurred_at", not_before=self.placed_at)
        if self.status not in RETURNABLE:
            raise ReturnNotAllowed(f"order {self.order_id} is {self.status}: nothing has shipped to return")
        already_returned = sku_counts(line for request in self.returns for line in request.lines)
        returnable = self.fulfillment.delivered() - already_returned
        for index, line in enumerate(lines):
            if line.quantity > returnable[line.sku]:
                raise ReturnExceedsDelivered(
                    f"{line.quantity} x {line.sku!r} is more than the {returnable[line.sku]} delivered "
                    "and not already requested for return",
                    field=f"lines[{index}].quantity",
                )
        request = ReturnRequest(
            return_id=f"ret_{self._id_stem}_{len(self.returns) + 1}",
            lines=lines,
            reason=reason,
            kind=kind,
            requested_at=at,
        )
        self.returns.append(request)
        self._record(
            ev.ReturnRequested(
                occurred_at=at,
                order_id=self.order_id,
                return_id=request.return_id,
                lines=lines,
                reason=reason,
                kind=kind,
            )
        )
        self.version += 1
        return request

    def _confirm(self, at: datetime) -> None:
        self._record(recorded.confirmed(self, at))
        self.confirmations.sent(SentConfirmation(self.lines, self.ship_to, at, corrections=len(self.corrections)))

    def _settle(self, at: datetime, held_for: tuple[Discrepancy, ...]) -> None:
        """After placing, a payment result or a correction: stay held while anything is
        wrong (recording `order.held` when the reasons changed); otherwise release, and
        confirm and invoice once payment is authorized."""
        if self.discrepancies:
            if self.status is not OrderStatus.HELD or self.discrepancies != held_for:
                self.status = OrderStatus.HELD
                self._record(ev.OrderHeld(occurred_at=at, order_id=self.order_id, discrepancies=self.discrepancies))
            return
        if self.status is OrderStatus.HELD:
            self._record(ev.OrderReleased(occurred_at=at, order_id=self.order_id))
            self.status = OrderStatus.PENDING_PAYMENT
        if self.payment_status is PaymentStatus.AUTHORIZED:
            self.status = OrderStatus.CONFIRMED
            self._confirm(at)
            self._issue_invoice(at)

    def _issue_invoice(self, at: datetime) -> None:
        invoice = recorded.invoice(self, f"inv_{self._id_stem}_{len(self.invoices) + 1}", at)
        self.invoices.append(invoice)
        self._record(recorded.invoiced(self.order_id, invoice))

    def _record(self, event: ev.Event) -> None:
        self.events.append(event)

    @property
    def _id_stem(self) -> str:
        return self.order_id.removeprefix("ord_")


def _skus(lines) -> list[str]:
    return [line.sku for line in lines if isinstance(getattr(line, "sku", None), str)]
