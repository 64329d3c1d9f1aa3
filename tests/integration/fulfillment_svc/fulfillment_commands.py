"""Order facts and stock counts run as commands of their own (one transaction each), for tests
that call the service layer directly so that transactions really overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fulfillment_svc.service_layer import orders, warehouse
from fulfillment_svc.service_layer.commands import SetStock
from fulfillment_svc.service_layer.runner import Reply, run_command


def confirmed(order_id: str, sku: str, quantity: int = 1) -> dict:
    return {
        "order_id": order_id,
        "lines": [{"line_id": f"{order_id}-l1", "sku": sku, "quantity": quantity, "unit_price": "12.50"}],
        "ship_to": {"country": "DE", "region": "BE", "city": "Berlin", "postal_code": "10115"},
        "service_level": "standard",
        "promised_by": (datetime.now(UTC) + timedelta(days=5)).isoformat(),
    }


async def confirm(ctx, data: dict) -> None:
    async def work(uow):
        await orders.order_confirmed(ctx, uow, data, datetime.now(UTC))
        return Reply(200, {})

    await run_command(ctx, work)


async def cancel(ctx, order_id: str) -> None:
    async def work(uow):
        await orders.order_cancelled(ctx, uow, {"order_id": order_id, "reason": "test"}, datetime.now(UTC))
        return Reply(200, {})

    await run_command(ctx, work)


async def set_stock(ctx, warehouse_id: str, sku: str, on_hand: int) -> None:
    await run_command(ctx, lambda uow: warehouse.set_stock(ctx, uow, SetStock(warehouse_id, sku, on_hand)))


async def stock_and_fulfillments(database, warehouse_id: str, sku: str):
    [stock] = await database("SELECT on_hand, reserved FROM stock WHERE warehouse_id = :w AND sku = :s", w=warehouse_id, s=sku)
    rows = await database("SELECT order_id, status, state FROM fulfillments WHERE warehouse_id = :w", w=warehouse_id)
    return stock, rows
