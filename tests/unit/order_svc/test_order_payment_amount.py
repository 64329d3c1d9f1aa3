"""An authorization of another amount than the order's total holds the order instead of confirming it."""

from decimal import Decimal

from order_builders import CATALOG, LATER, correcting, line, paying, pending_order
from order_svc.domain.status import OrderStatus
from order_svc.domain.values import DiscrepancyCode, PaymentStatus


def test_an_authorization_of_another_amount_holds_the_order_with_payment_amount_mismatch():
    order = pending_order()
    order.record_payment(paying(amount="40.00"), LATER)
    assert order.status is OrderStatus.HELD
    assert order.payment_status is PaymentStatus.PENDING
    [finding] = order.discrepancies
    assert (finding.code, finding.field) == (DiscrepancyCode.PAYMENT_AMOUNT_MISMATCH, "amount")
    assert "40.00" in finding.detail and str(order.total) in finding.detail
    assert [e.type for e in order.events] == ["order.payment_authorized.v1", "order.held.v1"]
    assert order.invoices == []


def test_an_authorization_of_the_total_afterwards_releases_confirms_and_invoices_it():
    order = pending_order()
    order.record_payment(paying(amount="40.00", reference="auth-1"), LATER)
    order.events.clear()
    order.record_payment(paying(amount=str(order.total), reference="auth-2"), LATER)
    assert order.status is OrderStatus.CONFIRMED and order.discrepancies == ()
    assert [e.type for e in order.events] == [
        "order.payment_authorized.v1", "order.released.v1", "order.confirmed.v1", "order.invoiced.v1"
    ]


def test_the_same_wrong_authorization_twice_is_recorded_once():
    order = pending_order()
    order.record_payment(paying(amount="40.00", reference="auth-1"), LATER)
    order.events.clear()
    order.record_payment(paying(amount="40.00", reference="auth-1"), LATER)
    assert order.events == []


def test_an_authorization_of_exactly_the_total_confirms_the_order():
    order = pending_order()
    order.record_payment(paying(amount=str(order.total)), LATER)
    assert order.status is OrderStatus.CONFIRMED
    assert order.total == Decimal("45.00")


def test_a_correction_that_brings_the_total_to_the_authorized_amount_releases_the_order():
    order = pending_order()
    order.record_payment(paying(amount="57.50"), LATER)  # the customer was charged for three mugs
    order.correct(correcting(lines=(line("MUG-1", 3, "12.50"), line("TEE-1", 1, "20.00"))), CATALOG, LATER)
    assert order.status is OrderStatus.CONFIRMED
    assert order.payment_status is PaymentStatus.AUTHORIZED and order.discrepancies == ()
