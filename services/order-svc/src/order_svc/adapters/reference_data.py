"""Customers and catalog items in PostgreSQL: the reference data orders are placed against."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from order_svc.adapters import tables
from order_svc.domain.model import CatalogItem, Customer
from order_svc.domain.values import Tier


async def _upsert(session: AsyncSession, table, key: str, values: dict) -> None:
    statement = insert(table).values(**values, updated_at=func.now())
    changes = {column: statement.excluded[column] for column in (*values, "updated_at") if column != key}
    await session.execute(statement.on_conflict_do_update(index_elements=[table.c[key]], set_=changes))


def customer_from_row(row: Mapping[str, Any]) -> Customer:
    return Customer(
        customer_id=row["customer_id"],
        tier=Tier(row["tier"]),
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        locale=row["locale"],
        timezone=row["timezone"],
        account_manager=row["account_manager"],
    )


class SqlCustomers:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, customer_id: str) -> Customer | None:
        query = select(tables.customers).where(tables.customers.c.customer_id == customer_id)
        row = (await self._session.execute(query)).mappings().first()
        return None if row is None else customer_from_row(row)

    async def save(self, customer: Customer) -> None:
        await _upsert(
            self._session,
            tables.customers,
            "customer_id",
            {
                "customer_id": customer.customer_id,
                "tier": customer.tier.value,
                "name": customer.name,
                "email": customer.email,
                "phone": customer.phone,
                "locale": customer.locale,
                "timezone": customer.timezone,
                "account_manager": customer.account_manager,
            },
        )


class SqlCatalog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, sku: str) -> CatalogItem | None:
        return (await self.items([sku])).get(sku)

    async def items(self, skus: Iterable[str]) -> dict[str, CatalogItem]:
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        query = select(tables.catalog_items).where(tables.catalog_items.c.sku.in_(wanted))
        result = await self._session.execute(query)
        return {
            row["sku"]: CatalogItem(
                sku=row["sku"],
                name=row["name"],
                unit_price=row["unit_price"],
                currency=row["currency"],
                max_quantity=row["max_quantity"],
            )
            for row in result.mappings()
        }

    async def save(self, item: CatalogItem) -> None:
        await _upsert(
            self._session,
            tables.catalog_items,
            "sku",
            {
                "sku": item.sku,
                "name": item.name,
                "unit_price": item.unit_price,
                "currency": item.currency,
                "max_quantity": item.max_quantity,
            },
        )
