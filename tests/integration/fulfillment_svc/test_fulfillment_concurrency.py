"""Reservations made at the same moment, in real concurrent PostgreSQL transactions, never oversell.

These call the service layer directly, one transaction per task, so the transactions really
overlap (through Kafka one consumer would apply them one after another).
"""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest
from fulfillment_commands import cancel, confirm, confirmed, set_stock, stock_and_fulfillments
from fulfillment_svc.domain.errors import StockBelowReserved
from fulfillment_svc.service_layer.runner import Reply, run_command


@pytest.fixture
def ctx(idle_app):
    return idle_app.state.fulfillment


async def test_twenty_orders_confirmed_at_once_for_ten_units_reserve_ten_and_backorder_exactly_ten(ctx, names, database):
    sku = names.sku("MUG")
    await set_stock(ctx, names.warehouse, sku, 10)

    await asyncio.gather(*(confirm(ctx, confirmed(names.order(str(i)), sku)) for i in range(20)))

    stock, rows = await stock_and_fulfillments(database, names.warehouse, sku)
    assert (stock.on_hand, stock.reserved) == (10, 10)
    assert len(rows) == 20
    assert sum(row.state["reserved"].get(sku, 0) for row in rows) == 10
    assert sum(row.state.get("backordered", {}).get(sku, 0) for row in rows) == 10
    backorders = await database("SELECT sum(quantity) AS owed FROM backorders WHERE sku = :s", s=sku)
    assert backorders[0].owed == 10


async def test_orders_counts_and_cancels_racing_each_other_leave_stock_consistent_and_none_idle(ctx, names, database):
    sku = names.sku("MUG")
    await set_stock(ctx, names.warehouse, sku, 5)
    order_ids = [names.order(str(i)) for i in range(20)]
    cancelled = set(random.Random(7).sample(order_ids, 5))

    async def count(on_hand: int) -> None:
        with contextlib.suppress(StockBelowReserved):  # a count below what orders hold is refused: a rule too
            await set_stock(ctx, names.warehouse, sku, on_hand)

    work = [confirm(ctx, confirmed(order_id, sku)) for order_id in order_ids]
    work += [cancel(ctx, order_id) for order_id in cancelled]
    work += [count(on_hand) for on_hand in (8, 12, 15, 9, 15)]
    random.Random(11).shuffle(work)
    await asyncio.gather(*work)
    await count(15)  # the last word on the count, once the race is over

    stock, rows = await stock_and_fulfillments(database, names.warehouse, sku)
    live = [row for row in rows if row.status != "cancelled"]
    reserved = sum(row.state["reserved"].get(sku, 0) for row in live)
    owed = sum(row.state.get("backordered", {}).get(sku, 0) for row in live)
    assert stock.on_hand == 15
    assert 0 <= stock.reserved <= stock.on_hand
    assert stock.reserved == reserved
    assert reserved + owed == len(live)
    assert owed == 0 or stock.on_hand == stock.reserved, "units sit idle while an order waits for them"
    assert all(row.state["reserved"] == {} for row in rows if row.status == "cancelled")


async def test_a_warehouse_whose_stock_is_locked_holds_up_its_own_counts_and_no_other_warehouses(ctx, names, database):
    sku = names.sku("MUG")
    busy, other = names.wh("busy"), names.wh("other")
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_busy_stock(uow):
        await uow.stock.lock(busy, [sku])
        holding.set()
        await release.wait()
        return Reply(200, {})

    holder = asyncio.create_task(run_command(ctx, hold_busy_stock))
    await holding.wait()
    same_warehouse = asyncio.create_task(set_stock(ctx, busy, sku, 3))

    # returns while the busy warehouse's lock is held (with one lock for all stock it would wait
    # for a release that only comes after it: the deadline turns that hang into a failure)
    await asyncio.wait_for(set_stock(ctx, other, sku, 7), timeout=60)

    assert not same_warehouse.done(), "a count in the locked warehouse went ahead of the lock"
    release.set()
    await holder
    await same_warehouse
    rows = await database("SELECT warehouse_id, on_hand FROM stock WHERE sku = :s ORDER BY on_hand", s=sku)
    assert [(row.warehouse_id, row.on_hand) for row in rows] == [(busy, 3), (other, 7)]


async def test_two_dispatches_that_read_the_same_stock_row_unlocked_both_count_when_they_save(ctx, names, database):
    """A dispatch reads its stock rows without a row lock (`share`) and writes differences: one
    that read the row before another dispatch of the sku committed does not write that one's
    units back onto the shelf."""
    sku = names.sku("MUG")
    await set_stock(ctx, names.warehouse, sku, 10)
    for name in ("a", "b"):
        await confirm(ctx, confirmed(names.order(name), sku))
    first_read, second_read = asyncio.Event(), asyncio.Event()

    def shipping_one(read: asyncio.Event, wait_for: asyncio.Event | asyncio.Task):
        async def work(uow):
            rows = await uow.stock.share(names.warehouse, [sku])
            read.set()
            await (wait_for.wait() if isinstance(wait_for, asyncio.Event) else asyncio.shield(wait_for))
            rows[sku].ship(1)
            await uow.stock.save(rows.values())
            return Reply(200, {})

        return work

    first = asyncio.create_task(run_command(ctx, shipping_one(first_read, second_read)))
    await first_read.wait()
    second = asyncio.create_task(run_command(ctx, shipping_one(second_read, first)))
    await asyncio.gather(first, second)

    stock, _rows = await stock_and_fulfillments(database, names.warehouse, sku)
    assert (stock.on_hand, stock.reserved) == (8, 0)
