"""Taking the locks a command needs in the one order every transaction uses, and handing freed
stock to backorders.

Order: stock rows (sku order) first, then fulfillments (id order). A command learns which stock
rows it needs from an unlocked read of its fulfillment, locks them, then locks the fulfillment
and checks the need did not grow meanwhile (it retries if it did). A dispatch, which only ships reserved
units, takes the warehouse's stock lock shared and its rows' locks only when it writes them, at
its end (`StockRepository.share`): every transaction that locks stock rows before fulfillments
holds the warehouse's lock exclusively, so none of them runs beside a dispatch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from fulfillment_svc.domain.backorders import Allocation, Backorder, allocate_backorders, fill_backorders, owed_now
from fulfillment_svc.domain.errors import FulfillmentNotFound
from fulfillment_svc.domain.fulfillment import Fulfillment
from fulfillment_svc.domain.stock import Stock
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork, TransientConflict

_MAX_LOCK_ROUNDS = 5


@dataclass
class Locked:
    """What one transaction holds: stock rows of one warehouse and fulfillments, all locked."""

    warehouse_id: str
    stock: dict[str, Stock] = field(default_factory=dict)
    fulfillments: dict[str, Fulfillment] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)

    async def save(self, uow: FulfillmentUnitOfWork) -> None:
        """Write every changed fulfillment (and stage their events), then the stock rows: last, so
        a dispatch, which takes its stock rows' locks only with that write (`StockRepository.share`),
        holds them for as few statements as may be (every other caller holds them already)."""
        await save_and_record(uow, [self.fulfillments[fulfillment_id] for fulfillment_id in sorted(self.changed)])
        await uow.stock.save(self.stock.values())


async def save_and_record(uow: FulfillmentUnitOfWork, changed: list[Fulfillment]) -> None:
    """Write `changed` back (as few statements as may be) and stage their events, in that order."""
    await uow.fulfillments.save_many(changed)
    for fulfillment in changed:
        uow.record(fulfillment.events)
        fulfillment.events.clear()


async def lock_fulfillment(
    uow: FulfillmentUnitOfWork,
    fulfillment_id: str,
    *,
    skus_needed: Callable[[Fulfillment], Iterable[str]] | None = None,
    shipping_only: bool = False,
    read: Fulfillment | None = None,
) -> tuple[Fulfillment, Locked]:
    """The fulfillment, locked, with the stock rows `skus_needed(fulfillment)` names locked before it
    (without `skus_needed`, no stock row: the fulfillment is locked at once, with no read ahead).
    `shipping_only`: the caller only ships reserved units (a dispatch: on hand and reserved drop
    together, no unit is freed, no backorder filled), so the warehouse's stock lock is taken
    shared and the rows are read unlocked, their changes written as differences at the end
    (`StockRepository.share`). `read`: the
    fulfillment as the caller just read it (unlocked), used as the first read ahead instead of
    reading it again."""
    if skus_needed is None:
        fulfillment = await uow.fulfillments.get(fulfillment_id, lock=True)
        if fulfillment is None:
            raise FulfillmentNotFound(f"there is no fulfillment {fulfillment_id}", field="fulfillment_id")
        return fulfillment, Locked(fulfillment.warehouse_id, {}, {fulfillment_id: fulfillment}, {fulfillment_id})
    for _ in range(_MAX_LOCK_ROUNDS):
        peek, read = read or await uow.fulfillments.get(fulfillment_id), None
        if peek is None:
            raise FulfillmentNotFound(f"there is no fulfillment {fulfillment_id}", field="fulfillment_id")
        skus = set(skus_needed(peek))
        take = uow.stock.share if shipping_only else uow.stock.lock
        stock = await take(peek.warehouse_id, skus) if skus else {}
        fulfillment = await uow.fulfillments.get(fulfillment_id, lock=True)
        assert fulfillment is not None  # fulfillments are never deleted
        if set(skus_needed(fulfillment)) <= skus:
            locked = Locked(fulfillment.warehouse_id, stock, {fulfillment_id: fulfillment}, {fulfillment_id})
            return fulfillment, locked
    raise TransientConflict(f"the stock needs of {fulfillment_id} kept changing")


async def fill_backorders_from(uow: FulfillmentUnitOfWork, locked: Locked, skus: Iterable[str]) -> list[Allocation]:
    """Give what is available of `skus` (rows already in `locked`) to the oldest backorders.

    Backorders come from the last saved state, overlaid with the fulfillments this transaction
    holds (fresher). Those that would receive stock are locked and judged again on their fresh
    state before anything is reserved; the loop ends when nothing is available or nobody is owed.
    """
    filled: list[Allocation] = []
    for sku in sorted(set(skus)):
        row = locked.stock.get(sku)
        if row is None:
            continue
        while row.available > 0:
            owed = await _owed(uow, locked, sku)
            plan = allocate_backorders(row.available, owed)
            if not plan:
                break
            locked.fulfillments.update(
                await uow.fulfillments.lock_many(a.fulfillment_id for a in plan if a.fulfillment_id not in locked.fulfillments)
            )
            allocations = fill_backorders(row, [locked.fulfillments[a.fulfillment_id] for a in plan])
            locked.changed.update(a.fulfillment_id for a in allocations)
            filled.extend(allocations)
    return filled


async def _owed(uow: FulfillmentUnitOfWork, locked: Locked, sku: str) -> list[Backorder]:
    saved = await uow.fulfillments.backorders_of(locked.warehouse_id, sku)
    return owed_now(saved, locked.fulfillments.values(), locked.warehouse_id, sku)
