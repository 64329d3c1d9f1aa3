"""Stock per warehouse and sku: counts from the warehouse, and what is reserved and available."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from orderpulse.http.auth import Principal, require_roles
from orderpulse.http.pagination import CursorQuery, LimitQuery, encode_cursor

from fulfillment_svc.entrypoints.dependencies import ContextDep, cursor_position, problems, respond
from fulfillment_svc.entrypoints.responses import StockPage, StockUpdated
from fulfillment_svc.entrypoints.schemas import ID_PATTERN, StockUpdate
from fulfillment_svc.service_layer import warehouse
from fulfillment_svc.service_layer.commands import SetStock
from fulfillment_svc.service_layer.runner import run_command, run_query

router = APIRouter(tags=["stock"])

WarehouseId = Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN, description="the warehouse, e.g. `wh-1`")]
SkuPath = Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN, description="stock keeping unit")]


@router.put(
    "/v1/warehouses/{warehouse_id}/stock/{sku}",
    response_model=StockUpdated,
    responses=problems(401, 403, 409, 422),
)
async def set_stock(
    warehouse_id: WarehouseId,
    sku: SkuPath,
    principal: Annotated[Principal, Depends(require_roles("warehouse", "admin"))],
    body: StockUpdate,
    ctx: ContextDep,
):
    """Set the units on hand of one sku (a count, reserved units included).

    Units that become available go to the oldest backorders of that sku first. A count below
    what is reserved for orders is shrinkage: the youngest orders' unpacked reservations are
    backordered again (listed in `backordered`). A changed count publishes
    `inventory.adjusted`. Only a count below units already packed in boxes is refused (409
    `stock-below-packed`).
    """
    command = SetStock(warehouse_id, sku, body.on_hand)
    return respond(await run_command(ctx, lambda uow: warehouse.set_stock(ctx, uow, command)))


@router.get(
    "/v1/warehouses/{warehouse_id}/stock",
    response_model=StockPage,
    responses=problems(400, 401, 403, 422),
)
async def list_stock(
    warehouse_id: WarehouseId,
    principal: Annotated[Principal, Depends(require_roles("warehouse"))],
    ctx: ContextDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
):
    """Units on hand, reserved and available per sku of one warehouse, by sku."""
    position = cursor_position(cursor, 1)
    after = position[0] if position else None
    page = await run_query(ctx, lambda uow: warehouse.stock_page(ctx, uow, warehouse_id, after_sku=after, limit=limit))
    return {"items": page.items, "next_cursor": encode_cursor(list(page.last)) if page.last else None}
