"""Command handlers: each runs in one unit of work — load, let the domain decide, store, publish.

Creating calls may carry an `Idempotency-Key` (`IdempotentRequest`): the key is claimed in the
same transaction as the work, and the reply (built by the caller's `reply` function, so the
API's shape stays in the entrypoints) is stored with it. A replay returns the stored reply and
changes nothing; a failed command rolls the claim back with everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from orderpulse.commands import TransientConflict

from order_svc.domain.commands import (
    CancelOrder,
    CorrectOrder,
    PlaceOrder,
    RecordPaymentResult,
    RequestReturn,
    UpsertCatalogItem,
    UpsertCustomer,
)
from order_svc.domain.errors import DomainError, OrderNotFound, PaymentsNotConfigured
from order_svc.domain.events import Event
from order_svc.domain.model import CatalogItem, Customer, Order, OrderRules
from order_svc.domain.values import PaymentStatus, ReturnRequest
from order_svc.service_layer import ids
from order_svc.service_layer.clock import utcnow
from order_svc.service_layer.ports import IdempotentRequest, OrderUnitOfWork, Reply
from order_svc.service_layer.publishing import publish, record

_DECISIONS = 5  # an order is decided again each time its reference data changed meanwhile; then refused
PAYMENTS_SECRET_SETTING = "ORDERPULSE_SIGNING_SECRETS"  # its "payments" entry
PAYMENTS_SWITCH_SETTING = "ORDERPULSE_PAYMENTS_ENABLED"


@dataclass(frozen=True)
class Context:
    """What the handlers are wired with (`bootstrap.py` builds it; unit tests pass fakes).

    `payments_enabled` is False when no payment provider calls back: an order placed with
    payment `pending` would then wait forever, so it is refused (422 naming the setting).
    """

    new_uow: Callable[[], OrderUnitOfWork]
    rules: OrderRules
    payments_enabled: bool = True
    payments_setting: str = PAYMENTS_SECRET_SETTING  # what turns them on, named when a pending order is refused
    clock: Callable[[], datetime] = field(default=utcnow)
    new_order_id: Callable[[], str] = field(default=ids.new_order_id)


async def upsert_customer(ctx: Context, command: UpsertCustomer) -> tuple[Customer, bool]:
    """Create or update a customer; `customer.upserted` only when the profile changed. Returns (customer, created)."""
    async with ctx.new_uow() as uow:
        existing = await uow.customers.get(command.customer_id)
        customer = Customer.upsert(command, existing, ctx.clock())
        if customer is not existing:
            await uow.customers.save(customer)
            await publish(uow, customer.events)
            await uow.commit()
    return customer, existing is None


async def upsert_catalog_item(ctx: Context, command: UpsertCatalogItem) -> tuple[CatalogItem, bool]:
    """Create or update a catalog item (no event: there is no catalog topic). Returns (item, created)."""
    item = CatalogItem.from_command(command)
    async with ctx.new_uow() as uow:
        existing = await uow.catalog.get(item.sku)
        if item != existing:
            await uow.catalog.save(item)
            await uow.commit()
    return item, existing is None


async def place_order(
    ctx: Context, command: PlaceOrder, *, idempotency: IdempotentRequest | None, reply: Callable[[Order], Reply]
) -> Reply:
    """Run the entry checks and place the order: held, waiting for payment, or confirmed and invoiced."""
    if not ctx.payments_enabled and command.payment_status == PaymentStatus.PENDING:
        raise _payments_off(ctx.payments_setting)
    async with ctx.new_uow() as uow:
        reference = await uow.entry.reference(command.customer_id, _skus(command.lines))
        for _ in range(_DECISIONS):
            try:
                order = Order.place(
                    command,
                    order_id=ctx.new_order_id(),
                    customer=reference.customer,
                    catalog=reference.catalog,
                    rules=ctx.rules,
                    now=ctx.clock(),
                )
            except DomainError:
                if not reference.checked:  # a refusal is decided on the tables' values, never on copies
                    reference = await uow.entry.reference(command.customer_id, _skus(command.lines), checked=True)
                    continue
                # the checks ran before the key was claimed: a retry of a placed order gets its first reply
                # even if they would refuse it now (time moved on, the catalog changed), and a key reused
                # for another body is a 409 as on every other route; nothing is written either way
                if (replay := await _claim(uow, idempotency)) is not None:
                    return replay
                raise
            answer = reply(order)
            entries = record(uow, order.events)
            placement = await uow.entry.place(order, entries, answer, idempotency, reference)
            if placement.outdated_by is not None:  # a customer or an item changed: decide again on the current values
                reference = placement.outdated_by
                continue
            if placement.placed:
                await uow.commit()
                return answer
            # the key was taken: the first reply (a 409 for another body); the order built here is dropped
            if (replay := await _claim(uow, idempotency)) is not None:
                return replay
            # released in between (purged): place it the ordinary way, the key claimed in this transaction
            await uow.orders.add(order)
            await uow.timeline.append(entries)
            return await _finish(uow, [], answer, idempotency)
        # lost every race with changes to its reference data: a 503 `busy` with Retry-After, like
        # any command that keeps colliding with concurrent ones (nothing was written)
        raise TransientConflict(
            f"customer {command.customer_id!r} or the order's catalog items changed {_DECISIONS} times while "
            "the order was placed"
        )


async def correct_order(
    ctx: Context, command: CorrectOrder, *, idempotency: IdempotentRequest | None, reply: Callable[[Order], Reply]
) -> Reply:
    """Replace lines and/or address, re-run the entry checks; releases a hold when nothing is left."""
    async with ctx.new_uow() as uow:
        if (replay := await _claim(uow, idempotency)) is not None:
            return replay
        order = await _locked(uow, command.order_id)
        catalog = await uow.catalog.items(_skus(command.lines if command.lines is not None else order.lines))
        order.correct(command, catalog, ctx.clock())
        await uow.orders.save(order)
        return await _finish(uow, order.events, reply(order), idempotency)


async def cancel_order(
    ctx: Context, command: CancelOrder, *, idempotency: IdempotentRequest | None, reply: Callable[[Order], Reply]
) -> Reply:
    """Cancel an order that has not been dispatched (cancelling twice is harmless)."""
    async with ctx.new_uow() as uow:
        if (replay := await _claim(uow, idempotency)) is not None:
            return replay
        order = await _locked(uow, command.order_id)
        order.cancel(command, ctx.clock())
        await uow.orders.save(order)
        return await _finish(uow, order.events, reply(order), idempotency)


async def request_return(
    ctx: Context,
    command: RequestReturn,
    *,
    idempotency: IdempotentRequest | None,
    reply: Callable[[Order, ReturnRequest], Reply],
) -> Reply:
    """Ask to send delivered units back."""
    async with ctx.new_uow() as uow:
        if (replay := await _claim(uow, idempotency)) is not None:
            return replay
        order = await _locked(uow, command.order_id)
        request = order.request_return(command, ctx.clock())
        await uow.orders.save(order)
        return await _finish(uow, order.events, reply(order, request), idempotency)


async def record_payment(
    ctx: Context,
    command: RecordPaymentResult,
    *,
    idempotency: IdempotentRequest | None,
    reply: Callable[[Order], Reply],
) -> Reply:
    """The payment provider's verdict: confirm (and invoice) or hold the order."""
    async with ctx.new_uow() as uow:
        if (replay := await _claim(uow, idempotency)) is not None:
            return replay
        order = await _locked(uow, command.order_id)
        order.record_payment(command, ctx.clock())
        await uow.orders.save(order)
        return await _finish(uow, order.events, reply(order), idempotency)


async def _claim(uow: OrderUnitOfWork, idempotency: IdempotentRequest | None) -> Reply | None:
    if idempotency is None:
        return None
    return await uow.idempotency_keys.claim(idempotency)


async def _locked(uow: OrderUnitOfWork, order_id: str) -> Order:
    order = await uow.orders.get(order_id, for_update=True)
    if order is None:
        raise OrderNotFound(f"order {order_id!r} is not known", field="order_id")
    return order


async def _finish(
    uow: OrderUnitOfWork, events: list[Event], answer: Reply, idempotency: IdempotentRequest | None
) -> Reply:
    await publish(uow, events)
    if idempotency is not None:
        await uow.idempotency_keys.remember(idempotency, answer)
    await uow.commit()
    return answer


def _payments_off(setting: str) -> PaymentsNotConfigured:
    how = f"set {setting}=true" if setting == PAYMENTS_SWITCH_SETTING else f'add a "payments" entry to {setting}'
    return PaymentsNotConfigured(
        'payment_status "pending" waits for the payment provider\'s signed callback, and order-svc takes no '
        f'payment callbacks: {how}, or place the order with payment_status "authorized" when checkout '
        "authorized it",
        setting=setting,
        field="payment_status",
    )


def _skus(lines: Iterable) -> list[str]:
    return [line.sku for line in lines if isinstance(line.sku, str)]
