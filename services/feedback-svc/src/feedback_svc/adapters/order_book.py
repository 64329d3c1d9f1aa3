"""Orders and customers as feedback-svc learned them from events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from orderpulse.db.bulk import BulkInsert
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from feedback_svc.adapters.tables import customer_locales, known_orders
from feedback_svc.domain.orders import KnownOrder

# a join on unnest (not `= ANY`): its generic plan still looks the orders up by key
_CANCELLED_AMONG = text(
    "SELECT k.order_id FROM unnest(CAST(:o AS text[])) AS u (order_id) JOIN known_orders k ON k.order_id = u.order_id "
    "WHERE k.cancelled_at IS NOT NULL"
)

# many rows in one statement, the same text whatever their number (a multi-row VALUES list is
# compiled by SQLAlchemy and parsed by PostgreSQL anew for every length)
_REMEMBER_PLACED = BulkInsert(
    "known_orders",
    {"order_id": ("order_id", "text"), "customer_id": ("customer_id", "text"), "placed_at": ("placed_at", "timestamptz")},
    conflict="(order_id) DO UPDATE SET customer_id = excluded.customer_id, placed_at = excluded.placed_at "
    "WHERE known_orders.customer_id IS NULL",
)
_REMEMBER_PLACED_SQL = text(_REMEMBER_PLACED.sql())
_REMEMBER_LOCALES = BulkInsert(
    "customer_locales",
    {"customer_id": ("customer_id", "text"), "locale": ("locale", "text"), "updated_at": ("updated_at", "timestamptz")},
    conflict="(customer_id) DO UPDATE SET locale = excluded.locale, updated_at = excluded.updated_at "
    "WHERE customer_locales.updated_at <= excluded.updated_at",
)
_REMEMBER_LOCALES_SQL = text(_REMEMBER_LOCALES.sql())
_MARK_CANCELLED = BulkInsert(
    "known_orders",
    {"order_id": ("order_id", "text"), "cancelled_at": ("cancelled_at", "timestamptz")},
    conflict="(order_id) DO UPDATE SET cancelled_at = excluded.cancelled_at WHERE known_orders.cancelled_at IS NULL",
)
_MARK_CANCELLED_SQL = text(_MARK_CANCELLED.sql())


class SqlOrderBook:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember_placed(self, order_id: str, customer_id: str, placed_at: datetime) -> None:
        await self.remember_all_placed([(order_id, customer_id, placed_at)])

    async def remember_all_placed(self, placed: Sequence[tuple[str, str, datetime]]) -> None:
        first: dict[str, tuple[str, str, datetime]] = {}
        for fact in placed:  # the first names the customer, as one statement per event would leave it
            first.setdefault(fact[0], fact)
        if not first:
            return
        rows = [{"order_id": o, "customer_id": c, "placed_at": at} for o, c, at in first.values()]
        await self._session.execute(_REMEMBER_PLACED_SQL, _REMEMBER_PLACED.arrays(rows))

    async def mark_cancelled(self, order_id: str, cancelled_at: datetime) -> None:
        await self.mark_all_cancelled([(order_id, cancelled_at)])

    async def mark_all_cancelled(self, cancelled: Sequence[tuple[str, datetime]]) -> None:
        first: dict[str, datetime] = {}
        for order_id, cancelled_at in cancelled:  # the first cancellation's time stays, as one by one
            first.setdefault(order_id, cancelled_at)
        if not first:
            return
        rows = [{"order_id": order_id, "cancelled_at": at} for order_id, at in first.items()]
        await self._session.execute(_MARK_CANCELLED_SQL, _MARK_CANCELLED.arrays(rows))

    async def get(self, order_id: str) -> KnownOrder | None:
        row = (await self._session.execute(select(known_orders).where(known_orders.c.order_id == order_id))).first()
        if row is None or row.customer_id is None:
            return None
        return KnownOrder(row.order_id, row.customer_id, cancelled=row.cancelled_at is not None)

    async def is_cancelled(self, order_id: str) -> bool:
        cancelled_at = await self._session.scalar(
            select(known_orders.c.cancelled_at).where(known_orders.c.order_id == order_id)
        )
        return cancelled_at is not None

    async def cancelled_among(self, order_ids: Iterable[str]) -> set[str]:
        """Those of `order_ids` known to be cancelled (one read, the same text whatever the number)."""
        wanted = sorted(set(order_ids))
        if not wanted:
            return set()
        return set(await self._session.scalars(_CANCELLED_AMONG, {"o": wanted}))

    async def remember_locale(self, customer_id: str, locale: str, updated_at: datetime) -> None:
        """The newest profile (by event time) wins, whatever order the events arrive in."""
        await self.remember_locales([(customer_id, locale, updated_at)])

    async def remember_locales(self, profiles: Sequence[tuple[str, str, datetime]]) -> None:
        newest: dict[str, tuple[str, str, datetime]] = {}
        for profile in profiles:  # one row per customer: of equal times the later one, as in one by one
            known = newest.get(profile[0])
            if known is None or known[2] <= profile[2]:
                newest[profile[0]] = profile
        if not newest:
            return
        rows = [{"customer_id": c, "locale": locale, "updated_at": at} for c, locale, at in newest.values()]
        await self._session.execute(_REMEMBER_LOCALES_SQL, _REMEMBER_LOCALES.arrays(rows))

    async def locale_of(self, customer_id: str) -> str | None:
        return await self._session.scalar(
            select(customer_locales.c.locale).where(customer_locales.c.customer_id == customer_id)
        )
