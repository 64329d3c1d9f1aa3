"""The statements a consumer batch reads, locks and writes with, against the real PostgreSQL:
each does for many rows at once what its one-row form does, and locks what it says it locks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fulfillment_commands import cancel, confirm, confirmed, set_stock
from fulfillment_svc.domain.errors import ShipmentIdInUse
from fulfillment_svc.domain.stock import Stock
from fulfillment_svc.domain.values import SkuQuantity
from fulfillment_svc.service_layer import orders
from fulfillment_svc.service_layer.runner import Reply, run_command
from sqlalchemy import text


@pytest.fixture
def ctx(idle_app):
    return idle_app.state.fulfillment


async def in_transaction(ctx, work):
    found = {}

    async def run(uow):
        found["value"] = await work(uow)
        return Reply(200, {})

    await run_command(ctx, run)
    return found["value"]


async def test_lock_existing_locks_the_rows_there_are_of_every_warehouse_and_creates_none(ctx, names, database):
    mug, tee, lamp = names.sku("MUG"), names.sku("TEE"), names.sku("LAMP")
    north, south = names.wh("north"), names.wh("south")
    for warehouse, sku, on_hand in ((north, mug, 3), (north, tee, 1), (south, mug, 2)):
        await set_stock(ctx, warehouse, sku, on_hand)
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold(uow):
        rows = await uow.stock.lock_existing([south, north], [tee, mug, lamp])
        holding.set()
        await release.wait()
        return rows

    holder = asyncio.create_task(in_transaction(ctx, hold))
    await holding.wait()
    try:
        async def row_lock_taken(warehouse: str, sku: str) -> bool:
            async def try_lock(uow):
                try:
                    await uow.stock._session.execute(text(
                        "SELECT 1 FROM stock WHERE warehouse_id = :w AND sku = :s FOR UPDATE NOWAIT"), {"w": warehouse, "s": sku})
                except Exception as error:  # lock_not_available
                    return "55P03" in str(getattr(error, "orig", error)) or "could not obtain lock" in str(error)
                return False

            return await in_transaction(ctx, try_lock)

        assert await row_lock_taken(north, mug) and await row_lock_taken(north, tee) and await row_lock_taken(south, mug)

        async def stock_lock_taken(warehouse: str) -> bool:  # each warehouse's exclusive stock lock (one statement for all)
            async def try_lock(uow):
                return not await uow.stock._session.scalar(text(
                    "SELECT pg_try_advisory_xact_lock_shared(hashtext('fulfillment-svc:stock:' || :w))"), {"w": warehouse})

            return await in_transaction(ctx, try_lock)

        assert await stock_lock_taken(north) and await stock_lock_taken(south)
        assert not await stock_lock_taken(names.wh("elsewhere"))
    finally:
        release.set()
    rows = await holder
    assert {w: {sku: (row.on_hand, row.reserved) for sku, row in by_sku.items()} for w, by_sku in rows.items()} == {
        north: {mug: (3, 0), tee: (1, 0)}, south: {mug: (2, 0)}}
    found = await database("SELECT warehouse_id, sku FROM stock WHERE sku IN (:a, :b, :c)", a=mug, b=tee, c=lamp)
    assert len(found) == 3  # no row of LAMP made


async def test_create_at_zero_makes_missing_rows_and_leaves_existing_ones_as_they_are(ctx, names, database):
    mug, lamp = names.sku("MUG"), names.sku("LAMP")
    await set_stock(ctx, names.warehouse, mug, 4)

    async def create(uow):
        rows = await uow.stock.lock_existing([names.warehouse], [mug, lamp])
        assert set(rows[names.warehouse]) == {mug}
        await uow.stock.create_at_zero([Stock(names.warehouse, lamp), Stock(names.warehouse, mug), Stock(names.warehouse, lamp)])

    await in_transaction(ctx, create)
    found = await database("SELECT sku, on_hand, reserved FROM stock WHERE warehouse_id = :w ORDER BY sku", w=names.warehouse)
    assert sorted((r.sku, r.on_hand, r.reserved) for r in found) == sorted([(lamp, 0, 0), (mug, 4, 0)])


async def test_backorders_of_many_reads_each_pair_oldest_first_and_names_every_pair_asked(ctx, names):
    mug, tee = names.sku("MUG"), names.sku("TEE")
    await set_stock(ctx, names.warehouse, mug, 0)
    for n, at in ((1, 3), (2, 1), (3, 2)):  # placed 3, 1 and 2 hours ago: backordered in that order of age
        data = confirmed(names.order(str(n)), mug, quantity=n)
        await run_command(ctx, lambda uow, data=data, at=at: _confirm_at(ctx, uow, data, hours_ago=at))

    found = await in_transaction(ctx, lambda uow: uow.fulfillments.backorders_of_many(
        [(names.warehouse, mug), (names.warehouse, tee), (names.wh("other"), mug)]))
    assert set(found) == {(names.warehouse, mug), (names.warehouse, tee), (names.wh("other"), mug)}
    assert found[(names.warehouse, tee)] == [] and found[(names.wh("other"), mug)] == []
    assert [b.quantity_owed for b in found[(names.warehouse, mug)]] == [1, 3, 2]  # oldest first
    one_by_one = await in_transaction(ctx, lambda uow: uow.fulfillments.backorders_of(names.warehouse, mug))
    assert found[(names.warehouse, mug)] == one_by_one


async def _confirm_at(ctx, uow, data, *, hours_ago: float) -> Reply:
    await orders.order_confirmed(ctx, uow, data, datetime.now(UTC) - timedelta(hours=hours_ago))
    return Reply(200, {})


async def test_orders_cancelled_together_keep_the_first_cancellation_of_each(ctx, names, database):
    first, again, known = names.order("first"), names.order("again"), names.order("known")
    at = datetime.now(UTC).replace(microsecond=0)
    await in_transaction(ctx, lambda uow: uow.fulfillments.mark_order_cancelled(known, "earlier", at))

    await in_transaction(ctx, lambda uow: uow.fulfillments.mark_orders_cancelled([
        (first, "customer", at), (again, "fraud", at), (again, "customer", at + timedelta(minutes=1)), (known, "later", at)]))

    found = await database("SELECT order_id, reason, cancelled_at FROM cancelled_orders WHERE order_id IN (:a, :b, :c)",
                           a=first, b=again, c=known)
    assert sorted((r.order_id, r.reason, r.cancelled_at) for r in found) == sorted(
        [(first, "customer", at), (again, "fraud", at), (known, "earlier", at)])


async def test_the_batch_read_finds_the_fulfillments_of_the_orders_that_have_one(ctx, names):
    mug = names.sku("MUG")
    await set_stock(ctx, names.warehouse, mug, 5)
    await confirm(ctx, confirmed(names.order("a"), mug, 2))
    await confirm(ctx, confirmed(names.order("b"), mug, 1))

    cancelled, found = await in_transaction(ctx, lambda uow: uow.fulfillments.cancelled_and_by_orders(
        [names.order("a"), names.order("b"), names.order("none")]))
    assert cancelled == set()
    assert set(found) == {names.order("a"), names.order("b")}
    assert found[names.order("a")].reserved == {mug: 2} and found[names.order("b")].reserved == {mug: 1}


async def test_requested_returns_added_together_are_what_the_multi_row_insert_wrote(ctx, names, database):
    """One statement text for any number of returns (arrays) against the multi-row VALUES it replaced:
    the same rows, the first request of a return id kept (one already known, one given twice)."""
    from fulfillment_svc.adapters.tables import requested_returns
    from fulfillment_svc.service_layer.ports import RequestedReturn
    from sqlalchemy.dialects.postgresql import insert

    at = datetime.now(UTC).replace(microsecond=0)

    def requests(prefix: str) -> tuple[RequestedReturn, list[RequestedReturn]]:
        known = RequestedReturn(f"{prefix}-known", names.order("k"), ({"sku": "MUG", "quantity": 1},), "earlier", "refund", at)
        return known, [
            RequestedReturn(f"{prefix}-a", names.order("a"), ({"sku": "MUG", "quantity": 2}, {"sku": "tée", "quantity": 1}),
                            "changed_mind", "refund", at),
            RequestedReturn(f"{prefix}-b", names.order("b"), (), "", "", at + timedelta(seconds=1)),
            RequestedReturn(f"{prefix}-b", names.order("b"), ({"sku": "CAP", "quantity": 3},), "again", "exchange", at),
            RequestedReturn(f"{prefix}-known", names.order("k"), (), "later", "exchange", at),
        ]

    async def multi_row_values(uow, rows):  # the statement as it was
        await uow.requested_returns._session.execute(insert(requested_returns).values([
            {"return_id": r.return_id, "order_id": r.order_id, "lines": list(r.lines), "reason": r.reason,
             "kind": r.kind, "requested_at": r.requested_at} for r in rows]).on_conflict_do_nothing(index_elements=["return_id"]))

    new_known, new = requests(names.order("new"))
    old_known, old = requests(names.order("old"))
    await in_transaction(ctx, lambda uow: uow.requested_returns.add_many([new_known]))
    await in_transaction(ctx, lambda uow: multi_row_values(uow, [old_known]))
    await in_transaction(ctx, lambda uow: uow.requested_returns.add_many(new))
    await in_transaction(ctx, lambda uow: multi_row_values(uow, old))

    async def written(prefix: str) -> list[tuple]:
        found = await database("SELECT return_id, order_id, lines, reason, kind, requested_at FROM requested_returns "
                               "WHERE return_id LIKE :p ORDER BY return_id", p=prefix + "-%")
        return [(r.return_id.removeprefix(prefix), r.order_id, r.lines, r.reason, r.kind, r.requested_at) for r in found]

    assert await written(names.order("new")) == await written(names.order("old"))
    assert [row[0] for row in await written(names.order("new"))] == ["-a", "-b", "-known"]
    assert [row[3] for row in await written(names.order("new"))] == ["changed_mind", "", "earlier"]


async def test_cancelled_and_by_orders_reads_in_one_statement_what_the_reads_one_order_at_a_time_give(ctx, names):
    mug = names.sku("MUG")
    await set_stock(ctx, names.warehouse, mug, 5)
    await confirm(ctx, confirmed(names.order("open"), mug, 2))
    await confirm(ctx, confirmed(names.order("gone"), mug, 1))
    await cancel(ctx, names.order("gone"))  # cancelled after its fulfillment opened: a fulfillment, not a cancelled order
    await cancel(ctx, names.order("early"))  # cancelled before any confirmation
    wanted = [names.order(o) for o in ("open", "gone", "early", "none")]

    cancelled, found = await in_transaction(ctx, lambda uow: uow.fulfillments.cancelled_and_by_orders(wanted + wanted[:1]))
    alone = {order_id: one for order_id in wanted
             if (one := await in_transaction(ctx, lambda uow, o=order_id: uow.fulfillments.get_by_order(o))) is not None}
    cancelled_alone = {order_id for order_id in wanted
                       if await in_transaction(ctx, lambda uow, o=order_id: uow.fulfillments.is_order_cancelled(o))}

    assert cancelled == cancelled_alone == {names.order("early")}
    assert set(found) == set(alone) == {names.order("open"), names.order("gone")}
    for order_id, fulfillment in found.items():
        one = alone[order_id]
        assert (fulfillment.fulfillment_id, fulfillment.status, fulfillment.reserved, fulfillment.lines, fulfillment.shipments,
                fulfillment.cancelled_at, fulfillment.ship_deadline) == (
            one.fulfillment_id, one.status, one.reserved, one.lines, one.shipments, one.cancelled_at, one.ship_deadline)
    assert await in_transaction(ctx, lambda uow: uow.fulfillments.cancelled_and_by_orders([])) == (set(), {})


async def test_lock_many_locks_the_fulfillments_named_and_reads_them_as_one_at_a_time(ctx, names):
    mug = names.sku("MUG")
    await set_stock(ctx, names.warehouse, mug, 5)
    await confirm(ctx, confirmed(names.order("a"), mug, 2))
    await confirm(ctx, confirmed(names.order("b"), mug, 1))
    ids = {order: f.fulfillment_id for order, f in (await in_transaction(ctx, lambda uow: uow.fulfillments.cancelled_and_by_orders(
        [names.order("a"), names.order("b")])))[1].items()}
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold(uow):
        found = await uow.fulfillments.lock_many([ids[names.order("b")], "ful_none", ids[names.order("a")]])
        holding.set()
        await release.wait()
        return found

    holder = asyncio.create_task(in_transaction(ctx, hold))
    await holding.wait()
    try:
        async def row_lock_taken(fulfillment_id: str) -> bool:
            async def try_lock(uow):
                try:
                    await uow.fulfillments._session.execute(text(
                        "SELECT 1 FROM fulfillments WHERE fulfillment_id = :f FOR UPDATE NOWAIT"), {"f": fulfillment_id})
                except Exception as error:  # lock_not_available
                    return "55P03" in str(getattr(error, "orig", error)) or "could not obtain lock" in str(error)
                return False

            return await in_transaction(ctx, try_lock)

        assert await row_lock_taken(ids[names.order("a")]) and await row_lock_taken(ids[names.order("b")])
    finally:
        release.set()
    found = await holder
    assert set(found) == set(ids.values())
    for fulfillment_id, fulfillment in found.items():
        one = await in_transaction(ctx, lambda uow, f=fulfillment_id: uow.fulfillments.get(f, lock=True))
        assert (fulfillment.order_id, fulfillment.reserved, fulfillment.lines, fulfillment.shipments) == (
            one.order_id, one.reserved, one.lines, one.shipments)


async def test_fulfillments_added_together_are_what_the_arrays_insert_wrote(ctx, names, database):
    """The new fulfillments' insert (text columns and states as JSON arrays) against the statement it
    replaced (a text[] per column, each state as text): the same rows, for texts JSON escapes
    (quotes, backslashes, control characters, non-ASCII, U+2028) and times in other zones."""
    from decimal import Decimal

    import orjson
    from fulfillment_svc.adapters import codec
    from fulfillment_svc.domain.fulfillment import Fulfillment
    from fulfillment_svc.domain.values import OrderLine

    arrays_insert = text(  # the statement as it was
        "INSERT INTO fulfillments (fulfillment_id, order_id, warehouse_id, status, ship_deadline, promised_by, created_at, state) "
        "SELECT u.f, u.o, u.w, u.s, u.d, u.p, u.c, CAST(u.j AS jsonb) FROM unnest(CAST(:f AS text[]), CAST(:o AS text[]), "
        "CAST(:w AS text[]), CAST(:s AS text[]), CAST(:d AS timestamptz[]), CAST(:p AS timestamptz[]), "
        "CAST(:c AS timestamptz[]), CAST(:j AS text[])) AS u (f, o, w, s, d, p, c, j)")
    odd = ['a "quoted" \\ back\\slash', "tab\there\nnewline\r", "été 𝄞 ünï", "line\u2028sep\u2029", "{,}\"'", "NULL", " "]
    at = datetime(2026, 12, 7, 10, 0, 0, 123456, tzinfo=UTC)

    def fulfillments(prefix: str) -> list[Fulfillment]:
        made = []
        for n, word in enumerate(odd):
            zone = timezone(timedelta(hours=n - 3, minutes=30 * (n % 2)))
            made.append(Fulfillment(
                fulfillment_id=f"{prefix}-{n}-{word}", order_id=f"{prefix}-order-{n}-{word}", warehouse_id=f"{names.warehouse}{word}",
                lines=(OrderLine(word or "l", f"SKU-{word}", n + 1, Decimal("12.50")), OrderLine("l2", "MUG", 1, Decimal("0.001"))),
                promised_by=(at + timedelta(days=n)).astimezone(zone), ship_deadline=at.astimezone(zone) + timedelta(hours=n),
                created_at=at - timedelta(microseconds=n), service_level="express",
                ship_to={"city": word, "line1": None, "nested": {"k": [word, 1, 2.5, True]}},
                reserved={f"SKU-{word}": n}, backordered={"MUG": 1} if n % 2 else {},
            ))
        return made

    async def arrays_way(uow, added):
        await uow.fulfillments._session.execute(arrays_insert, {
            "f": [f.fulfillment_id for f in added], "o": [f.order_id for f in added], "w": [f.warehouse_id for f in added],
            "s": [f.status for f in added], "d": [f.ship_deadline for f in added], "p": [f.promised_by for f in added],
            "c": [f.created_at for f in added], "j": [orjson.dumps(codec.fulfillment_state(f)).decode() for f in added]})

    new, old = names.order("new"), names.order("old")
    await in_transaction(ctx, lambda uow: uow.fulfillments.add_many(fulfillments(new)))
    await in_transaction(ctx, lambda uow: arrays_way(uow, fulfillments(old)))

    async def written(prefix: str) -> list[tuple]:
        found = await database("SELECT fulfillment_id, order_id, warehouse_id, status, ship_deadline, promised_by, created_at, "
                               "state, state::text AS state_text FROM fulfillments WHERE fulfillment_id LIKE :p "
                               "ORDER BY fulfillment_id", p=prefix + "-%")
        return [(r.fulfillment_id.removeprefix(prefix), r.order_id.removeprefix(prefix), r.warehouse_id, r.status,
                 r.ship_deadline, r.promised_by, r.created_at, r.state, r.state_text) for r in found]

    assert len(await written(new)) == len(odd)
    assert await written(new) == await written(old)
    assert {row[2] for row in await written(new)} == {names.warehouse + word for word in odd}


async def test_the_shipments_upsert_never_takes_over_a_shipment_id_of_another_fulfillment(warehouse, ctx, database):
    await warehouse.put_stock("MUG", 10)
    first = await warehouse.wait_for_fulfillment(await warehouse.confirm("a", MUG=1))
    second = await warehouse.wait_for_fulfillment(await warehouse.confirm("b", MUG=1))
    shipment_id = (await warehouse.pack(first["fulfillment_id"], MUG=1)).json()["shipment_id"]
    row = "SELECT fulfillment_id, order_id, status, carrier, tracking_number, state FROM shipments WHERE shipment_id = :s"
    before = await database(row, s=shipment_id)

    async def pack_under_the_same_id(uow):  # past the route's ownership check: only the statement guards it
        fulfillment = await uow.fulfillments.get(second["fulfillment_id"], lock=True)
        fulfillment.pack(shipment_id=shipment_id, lines=(SkuQuantity(warehouse.names.sku("MUG"), 1),), documents=(),
                         occurred_at=datetime.now(UTC))
        await uow.fulfillments.save(fulfillment)

    with pytest.raises(ShipmentIdInUse):
        await in_transaction(ctx, pack_under_the_same_id)
    assert await database(row, s=shipment_id) == before
    assert before[0].fulfillment_id == first["fulfillment_id"]
