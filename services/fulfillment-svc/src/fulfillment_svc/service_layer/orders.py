"""Handlers of what order-svc tells us: `order.confirmed` opens (or re-plans) a fulfillment,
`order.cancelled` releases what it holds.

They run inside the consumer's transaction (the unit of work joins it); a failure is retried
by the consumer, then dead-lettered. A batch of them is applied in one pass (`apply_order_facts`,
see `order_batch.py`), one alone the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fulfillment_svc.domain.orders import ConfirmedOrder
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.order_batch import IGNORED_CANCELLED, OPENED, OrderBatch
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork

__all__ = ["IGNORED_CANCELLED", "OPENED", "OrderCancelled", "OrderConfirmed", "apply_order_facts", "order_cancelled",
           "order_confirmed"]


@dataclass(frozen=True, slots=True)
class OrderConfirmed:
    """`order.confirmed`, read."""

    order: ConfirmedOrder
    occurred_at: datetime
    # read from data validated against the catalog's `order.confirmed` (the consumer's records): the
    # `fulfillment.created` it opens is then not validated again (`order_batch.BUILT_FROM_CHECKED_ORDERS`)
    catalog_checked: bool = False

    @classmethod
    def from_data(cls, data: Mapping[str, Any], occurred_at: datetime, *, catalog_checked: bool = False) -> OrderConfirmed:
        return cls(ConfirmedOrder.from_data(data), occurred_at, catalog_checked)


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    """`order.cancelled`, read."""

    order_id: str
    reason: str
    occurred_at: datetime

    @classmethod
    def from_data(cls, data: Mapping[str, Any], occurred_at: datetime) -> OrderCancelled:
        return cls(str(data["order_id"]), str(data.get("reason") or "cancelled"), occurred_at)


OrderFact = OrderConfirmed | OrderCancelled


async def apply_order_facts(
    ctx: ServiceContext,
    uow: FulfillmentUnitOfWork,
    facts: Sequence[OrderFact],
    each: Callable[[int], AbstractContextManager[None]] = lambda _index: nullcontext(),
) -> list[str | None]:
    """Apply `facts` in order, as one at a time would, with a few statements for all of them: what
    they may touch is read and locked once, they are applied in memory, each kind of row is written
    with one statement. `each(i)` is the context in which fact i's events are staged (its trace).
    Returns each confirmation's outcome (see `OrderBatch.confirm`), None for a cancellation."""
    if not facts:
        return []
    batch = await OrderBatch.locked(ctx, uow, [
        (fact.order.order_id, [line.sku for line in fact.order.lines]) if isinstance(fact, OrderConfirmed)
        else (fact.order_id, None)
        for fact in facts
    ])
    outcomes: list[str | None] = []
    for index, fact in enumerate(facts):
        with each(index):
            if isinstance(fact, OrderConfirmed):
                outcomes.append(await batch.confirm(fact.order, fact.occurred_at, catalog_checked=fact.catalog_checked))
            else:
                outcomes.append(await batch.cancel(fact.order_id, fact.reason, fact.occurred_at))
    await batch.write()
    return outcomes


async def order_confirmed(
    ctx: ServiceContext, uow: FulfillmentUnitOfWork, data: Mapping[str, Any], occurred_at: datetime
) -> str:
    """Open a fulfillment for a confirmed order; a re-sent confirmation re-plans it while nothing is packed.

    Returns what happened: `opened`, `applied` / `unchanged` / `too_late` (re-sent), or
    `ignored_cancelled` (the order was cancelled before it was confirmed).
    """
    [outcome] = await apply_order_facts(ctx, uow, [OrderConfirmed.from_data(data, occurred_at)])
    assert outcome is not None
    return outcome


async def order_cancelled(
    ctx: ServiceContext, uow: FulfillmentUnitOfWork, data: Mapping[str, Any], occurred_at: datetime
) -> None:
    """Release what the order's fulfillment holds (shipments already sent keep being tracked).

    An order cancelled before it was ever confirmed is remembered, so a late confirmation
    does not reserve stock for it.
    """
    await apply_order_facts(ctx, uow, [OrderCancelled.from_data(data, occurred_at)])
