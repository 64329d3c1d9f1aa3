"""order-svc reads orders back with one statement (each order's lines, invoices, returns and
shipments as arrays of rows in its row): every order comes back as it was written, whether the
read locks the rows or not, one order or many; ids nobody knows are left out."""

from __future__ import annotations

import sys
from pathlib import Path

from order_svc.adapters import rows
from order_svc.adapters.unit_of_work import SqlOrderUnitOfWork
from order_svc.domain.model import Order
from orderpulse.db.engine import create_engine, create_session_factory
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "order_svc"))
from order_builders import CATALOG, CUSTOMER, LATER, NOW, RULES, delivered_order, dispatch, placing, returning  # noqa: E402


def as_stored(order: Order) -> tuple:
    """Everything the tables hold of an order, as the repository writes it."""
    return (
        rows.order_row(order),
        rows.line_rows(order.order_id, order.lines),
        [rows.invoice_row(order.order_id, position, invoice) for position, invoice in enumerate(order.invoices)],
        [rows.return_row(order.order_id, position, request) for position, request in enumerate(order.returns)],
        sorted((rows.shipment_row(order.order_id, shipment) for shipment in order.fulfillment.shipments.values()),
               key=lambda row: row["shipment_id"]),
    )


def written_orders() -> list[Order]:
    delivered = delivered_order()  # ord_1: lines, an invoice, a delivered shipment
    delivered.request_return(returning(("MUG-1", 1)), LATER)
    dispatched = Order.place(placing(), order_id="ord_2", customer=CUSTOMER, catalog=CATALOG, rules=RULES, now=NOW)
    dispatch(dispatched, "shp_b", lines=(("MUG-1", 1),))
    dispatch(dispatched, "shp_a", lines=(("MUG-1", 1), ("TEE-1", 1)))
    bare = Order.place(placing(), order_id="ord_3", customer=CUSTOMER, catalog=CATALOG, rules=RULES, now=NOW)
    for order in (delivered, dispatched, bare):
        order.events.clear()
    return [delivered, dispatched, bare]


async def test_orders_read_with_one_statement_are_the_orders_written(infrastructure, clean_schema):
    engine = create_engine(infrastructure.database_url, schema=clean_schema)
    sessions = create_session_factory(engine)
    orders = written_orders()
    delivered, dispatched, bare = orders
    assert delivered.invoices and delivered.returns and len(delivered.lines) == 2
    assert list(dispatched.fulfillment.shipments) == ["shp_b", "shp_a"]
    assert not bare.fulfillment.shipments and not bare.returns  # nothing beneath but its lines
    try:
        async with SqlOrderUnitOfWork(sessions, schema=clean_schema, source="/order-svc") as uow:
            for order in orders:
                await uow.orders.add(order)
            await uow.commit()

        for for_update in (True, False):
            async with SqlOrderUnitOfWork(sessions, schema=clean_schema, source="/order-svc") as uow:
                found = await uow.orders.get_many(["ord_3", "ord_1", "nobody", "ord_1", "ord_2"], for_update=for_update)
                assert sorted(found) == ["ord_1", "ord_2", "ord_3"]
                assert {key: as_stored(order) for key, order in found.items()} == {
                    order.order_id: as_stored(order) for order in orders
                }
        async with SqlOrderUnitOfWork(sessions, schema=clean_schema, source="/order-svc") as uow:
            assert as_stored(await uow.orders.get("ord_1", for_update=True)) == as_stored(delivered)
            assert await uow.orders.get("nobody") is None
            assert await uow.orders.get_many([]) == {}
    finally:
        await engine.dispose()


async def test_a_column_added_by_a_migration_does_not_fail_the_next_read_on_an_open_connection(infrastructure, clean_schema):
    """An expand migration (a new column) while the service runs: the connection that read orders
    before reads them again at once. With the child rows as the tables' row types it failed once
    per open connection (asyncpg's OutdatedSchemaCacheError: the shape it had cached)."""
    engine = create_engine(infrastructure.database_url, schema=clean_schema, pool_size=1)  # one connection, reused
    sessions = create_session_factory(engine)
    orders = written_orders()
    try:
        async with SqlOrderUnitOfWork(sessions, schema=clean_schema, source="/order-svc") as uow:
            for order in orders:
                await uow.orders.add(order)
            await uow.commit()
        async with SqlOrderUnitOfWork(sessions, schema=clean_schema, source="/order-svc") as uow:
            before = {key: as_stored(order) for key, order in (await uow.orders.get_many(["ord_1", "ord_2"])).items()}
        async with engine.begin() as connection:
            pid = (await connection.exec_driver_sql("SELECT pg_backend_pid()")).scalar()
        migrating = create_engine(infrastructure.database_url, schema=clean_schema, pool_size=1)
        try:
            async with migrating.begin() as connection:
                for table in ("orders", "order_lines", "invoices", "returns", "shipments"):
                    await connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN added_later integer DEFAULT 7")
        finally:
            await migrating.dispose()
        async with SqlOrderUnitOfWork(sessions, schema=clean_schema, source="/order-svc") as uow:
            assert (await uow.session.execute(text("SELECT pg_backend_pid()"))).scalar() == pid  # the same connection
            after = {key: as_stored(order) for key, order in (await uow.orders.get_many(["ord_1", "ord_2"])).items()}
        assert after == before
    finally:
        await engine.dispose()
