"""The catalog: the prices and quantity limits orders are checked against."""

from __future__ import annotations

from fastapi import APIRouter, Response

from order_svc.entrypoints.dependencies import Admin, ContextDep, Sku
from order_svc.entrypoints.problems import problems
from order_svc.entrypoints.schemas import CatalogItemBody
from order_svc.entrypoints.views import CatalogItemView
from order_svc.service_layer import handlers

router = APIRouter(prefix="/v1/catalog", tags=["catalog"])


@router.put(
    "/{sku}", response_model=CatalogItemView, responses={201: {"model": CatalogItemView}, **problems(401, 403, 422)}
)
async def upsert_catalog_item(
    sku: Sku, body: CatalogItemBody, _caller: Admin, ctx: ContextDep, response: Response
) -> CatalogItemView:
    """Create (201) or update (200) a sku's name, unit price, currency and per-line quantity limit."""
    item, created = await handlers.upsert_catalog_item(ctx, body.to_command(sku))
    response.status_code = 201 if created else 200
    return CatalogItemView.of(item)
