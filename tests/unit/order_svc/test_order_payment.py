"""The payments callback: authorized confirms, failed holds with payment_failed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from order_builders import (
    CATALOG,
    LATER,
    NOW,
    cancelling,
    confirmed_order,
    correcting,
    held_for_price,
    last,
    line,
    paying,
    pending_order,
    types,
)
from order_svc.domain import events as ev
from order_svc.domain.errors import InvalidInput
from order_svc.domain.status import OrderStatus
from order_svc.domain.values import DiscrepancyCode, PaymentStatus


def test_an_authorized_callback_confirms_and_invoices_a_pending_order():
    order = pending_order()
    order.record_payment(paying("authorized"), LATER)
    assert order.status is OrderStatus.CONFIRMED
    assert order.payment_status is PaymentStatus.AUTHORIZED
    assert types(order) == ["order.payment_authorized.v1", "order.confirmed.v1", "order.invoiced.v1"]
    assert order.invoice.total == Decimal("45.00")


def test_the_authorization_event_carries_amount_currency_and_reference():
    order = pending_order()
    order.record_payment(paying("authorized", amount="45", reference="pay_77"), LATER)
    authorized = last(order, ev.PaymentAuthorized)
    assert authorized.to_data() == {"order_id": "ord_1", "amount": "45.00", "currency": "USD", "reference": "pay_77"}


def test_the_callbacks_event_time_is_its_occurred_at():
    order = pending_order()
    order.record_payment(paying("authorized", occurred_at=NOW + timedelta(minutes=3)), LATER)
    assert {event.occurred_at for event in order.events} == {NOW + timedelta(minutes=3)}


def test_a_failed_callback_holds_a_pending_order_with_payment_failed():
    order = pending_order()
    order.record_payment(paying("failed", reason="insufficient funds"), LATER)
    assert order.status is OrderStatus.HELD
    assert order.payment_status is PaymentStatus.FAILED
    assert types(order) == ["order.payment_failed.v1", "order.held.v1"]
    assert last(order, ev.PaymentFailed).reason == "insufficient funds"
    [discrepancy] = last(order, ev.OrderHeld).discrepancies
    assert (discrepancy.code, discrepancy.field) == (DiscrepancyCode.PAYMENT_FAILED, "payment")


def test_a_failure_without_a_reason_is_recorded_as_declined():
    order = pending_order()
    order.record_payment(paying("failed"), LATER)
    assert last(order, ev.PaymentFailed).reason == "declined"


def test_a_later_authorization_releases_an_order_held_only_for_payment():
    order = pending_order()
    order.record_payment(paying("failed", reference="pay_1"), LATER)
    order.events.clear()
    order.record_payment(paying("authorized", reference="pay_2"), LATER)
    assert order.status is OrderStatus.CONFIRMED
    assert order.discrepancies == ()
    assert types(order) == [
        "order.payment_authorized.v1",
        "order.released.v1",
        "order.confirmed.v1",
        "order.invoiced.v1",
    ]


def test_an_authorization_does_not_release_an_order_still_held_for_entry_findings():
    order = held_for_price(payment_status="pending")
    order.record_payment(paying("authorized", amount=str(order.total)), LATER)
    assert order.status is OrderStatus.HELD
    assert order.payment_status is PaymentStatus.AUTHORIZED
    assert types(order) == ["order.payment_authorized.v1"]


def test_fixing_the_entry_findings_after_authorization_confirms_the_order():
    order = held_for_price(payment_status="pending")
    order.record_payment(paying("authorized"), LATER)
    order.correct(correcting(lines=(line("MUG-1", 2, "12.50"), line("TEE-1", 1, "20.00"))), CATALOG, LATER)
    assert order.status is OrderStatus.CONFIRMED


def test_a_failed_payment_on_a_held_order_adds_to_its_reasons():
    order = held_for_price(payment_status="pending")
    order.record_payment(paying("failed"), LATER)
    assert [d.code for d in last(order, ev.OrderHeld).discrepancies] == [
        DiscrepancyCode.PRICE_MISMATCH,
        DiscrepancyCode.PAYMENT_FAILED,
    ]


def test_a_second_failure_replaces_the_first_payment_finding():
    order = pending_order()
    order.record_payment(paying("failed", reference="pay_1"), LATER)
    order.record_payment(paying("failed", reference="pay_2", reason="card expired"), LATER)
    payment_findings = [d for d in order.discrepancies if d.code is DiscrepancyCode.PAYMENT_FAILED]
    assert len(payment_findings) == 1
    assert "card expired" in payment_findings[0].detail


def test_the_same_failure_reported_twice_is_recorded_once():
    order = pending_order()
    order.record_payment(paying("failed"), LATER)
    order.record_payment(paying("failed"), LATER)
    assert types(order) == ["order.payment_failed.v1", "order.held.v1"]


def test_callbacks_after_authorization_change_nothing():
    order = confirmed_order()
    order.record_payment(paying("failed"), LATER)
    order.record_payment(paying("authorized", reference="pay_9"), LATER)
    assert order.status is OrderStatus.CONFIRMED
    assert order.payment_status is PaymentStatus.AUTHORIZED
    assert order.events == []


def test_a_payment_on_a_cancelled_order_is_recorded_without_reviving_it():
    order = pending_order()
    order.cancel(cancelling(), LATER)
    order.record_payment(paying("authorized"), LATER)
    assert order.status is OrderStatus.CANCELLED
    assert types(order)[-1] == "order.payment_authorized.v1"


def test_a_failed_payment_on_a_cancelled_order_is_recorded_without_holding_it():
    order = pending_order()
    order.cancel(cancelling(), LATER)
    order.record_payment(paying("failed"), LATER)
    assert order.status is OrderStatus.CANCELLED
    assert order.discrepancies == ()
    assert types(order) == ["order.cancelled.v1", "order.payment_failed.v1"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "pending"}, "status"),
        ({"status": "maybe"}, "status"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"reference": ""}, "reference"),
        ({"occurred_at": LATER + timedelta(minutes=10)}, "occurred_at"),
        ({"occurred_at": NOW - timedelta(days=1)}, "occurred_at"),
    ],
)
def test_malformed_callbacks_are_refused_and_change_nothing(changes, field):
    order = pending_order()
    with pytest.raises(InvalidInput) as refused:
        order.record_payment(paying(**changes), LATER)
    assert refused.value.field == field
    assert order.status is OrderStatus.PENDING_PAYMENT
    assert order.events == []
