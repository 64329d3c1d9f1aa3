"""Customers: the profiles orders are placed for, and each customer's orders."""

from __future__ import annotations

from fastapi import APIRouter, Response
from orderpulse.http.pagination import CursorQuery, LimitQuery, Page, encode_cursor

from order_svc.entrypoints.dependencies import (
    ContextDep,
    CustomerId,
    StorefrontOrAdmin,
    StorefrontOrSupport,
    cursor_position,
    cursor_time,
)
from order_svc.entrypoints.problems import problems
from order_svc.entrypoints.schemas import UpsertCustomerBody
from order_svc.entrypoints.views import Customer, OrderSummaryView
from order_svc.service_layer import handlers, queries

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.put(
    "/{customer_id}", response_model=Customer, responses={201: {"model": Customer}, **problems(401, 403, 422)}
)
async def upsert_customer(
    customer_id: CustomerId, body: UpsertCustomerBody, _caller: StorefrontOrAdmin, ctx: ContextDep, response: Response
) -> Customer:
    """Create (201) or update (200) a customer; a changed profile is published as `customer.upserted`."""
    customer, created = await handlers.upsert_customer(ctx, body.to_command(customer_id))
    response.status_code = 201 if created else 200
    return Customer.of(customer)


@router.get("/{customer_id}", response_model=Customer, responses=problems(401, 403, 404, 422))
async def get_customer(customer_id: CustomerId, _caller: StorefrontOrSupport, ctx: ContextDep) -> Customer:
    """One customer's profile."""
    return Customer.of(await queries.customer(ctx, customer_id))


@router.get("/{customer_id}/orders", response_model=Page[OrderSummaryView], responses=problems(400, 401, 403, 404, 422))
async def list_customer_orders(
    customer_id: CustomerId,
    _caller: StorefrontOrSupport,
    ctx: ContextDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[OrderSummaryView]:
    """All orders of one customer, newest first (by placement time), a page at a time."""
    orders = await queries.customer_orders(
        ctx, customer_id, limit=limit, after=cursor_position(cursor, cursor_time, str)
    )
    next_cursor = None
    if len(orders) == limit:
        last = orders[-1]
        next_cursor = encode_cursor([last.placed_at.isoformat(), last.order_id])
    return Page[OrderSummaryView](items=[OrderSummaryView.of(order) for order in orders], next_cursor=next_cursor)
