"""Surveys in PostgreSQL: one per order (a unique key), claimed by the scheduler with SKIP LOCKED."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from feedback_svc.adapters.tables import known_orders, surveys
from feedback_svc.domain.surveys import SCHEDULED, Survey

_FIELDS = ("status", "customer_id", "survey_url", "requested_at", "expires_at", "answered_at")


def _survey(row: Any) -> Survey:
    return Survey(
        survey_id=row.survey_id,
        order_id=row.order_id,
        delivered_at=row.delivered_at,
        due_at=row.due_at,
        status=row.status,
        customer_id=row.customer_id,
        survey_url=row.survey_url,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
        answered_at=row.answered_at,
    )


# a scheduled survey goes out once its order names the customer (order.placed may arrive after
# fulfillment.completed: topics are not ordered), and never for a cancelled order
_ORDER_KNOWN = known_orders.c.order_id == surveys.c.order_id
_SENDABLE = (
    surveys.c.status == SCHEDULED,
    known_orders.c.customer_id.is_not(None),
    known_orders.c.cancelled_at.is_(None),
)


# one statement whatever the number (the same text every time: prepared once per connection)
_ADD_ALL_IF_NEW = text(
    "INSERT INTO surveys (survey_id, order_id, status, delivered_at, due_at) SELECT * FROM unnest("
    "CAST(:s AS text[]), CAST(:o AS text[]), CAST(:st AS text[]), CAST(:d AS timestamptz[]), CAST(:due AS timestamptz[])) "
    "ON CONFLICT (order_id) DO NOTHING RETURNING survey_id"
)


# a join on unnest: the same text whatever the number (an IN list is a new statement for every length)
_OF_ORDERS = text(
    "SELECT s.* FROM unnest(CAST(:o AS text[])) AS u (order_id) JOIN surveys s ON s.order_id = u.order_id "
    "ORDER BY s.order_id"
)
_OF_ORDERS_LOCKED = text(_OF_ORDERS.text + " FOR UPDATE OF s")


class SqlSurveyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_new(self, survey: Survey) -> bool:
        inserted = await self._session.scalar(
            insert(surveys)
            .values(
                survey_id=survey.survey_id,
                order_id=survey.order_id,
                status=survey.status,
                delivered_at=survey.delivered_at,
                due_at=survey.due_at,
            )
            .on_conflict_do_nothing(index_elements=["order_id"])
            .returning(surveys.c.survey_id)
        )
        return inserted is not None

    async def add_all_if_new(self, added: Sequence[Survey]) -> set[str]:
        """`add_if_new` for many in one statement; the ids of those added (of two for one order,
        the first, as one by one would leave it)."""
        if not added:
            return set()
        inserted = await self._session.scalars(_ADD_ALL_IF_NEW, {
            "s": [survey.survey_id for survey in added], "o": [survey.order_id for survey in added],
            "st": [survey.status for survey in added], "d": [survey.delivered_at for survey in added],
            "due": [survey.due_at for survey in added],
        })
        return set(inserted)

    async def get(self, survey_id: str, *, lock: bool = False) -> Survey | None:
        return await self._one(select(surveys).where(surveys.c.survey_id == survey_id), lock)

    async def get_by_order(self, order_id: str, *, lock: bool = False) -> Survey | None:
        return await self._one(select(surveys).where(surveys.c.order_id == order_id), lock)

    async def of_orders(self, order_ids: Iterable[str], *, lock: bool = False) -> list[Survey]:
        rows = await self._session.execute(_OF_ORDERS_LOCKED if lock else _OF_ORDERS, {"o": sorted(set(order_ids))})
        return [_survey(row) for row in rows]

    async def _one(self, statement, lock: bool) -> Survey | None:
        if lock:
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return None if row is None else _survey(row)

    async def save(self, survey: Survey) -> None:
        await self._session.execute(
            update(surveys)
            .where(surveys.c.survey_id == survey.survey_id)
            .values({name: getattr(survey, name) for name in _FIELDS})
        )

    async def claim_due(self, now: datetime, *, limit: int) -> list[tuple[Survey, str]]:
        statement = (
            select(surveys, known_orders.c.customer_id.label("order_customer_id"))
            .join(known_orders, _ORDER_KNOWN)
            .where(*_SENDABLE, surveys.c.due_at <= now)
            .order_by(surveys.c.due_at)
            .limit(limit)
            .with_for_update(of=surveys, skip_locked=True)
        )
        rows = (await self._session.execute(statement)).all()
        return [(_survey(row), row.order_customer_id) for row in rows]

    async def next_due(self) -> datetime | None:
        # ORDER BY + LIMIT walks the partial index from the earliest and stops at the first
        # sendable one; min() would aggregate every scheduled survey
        return await self._session.scalar(
            select(surveys.c.due_at).join(known_orders, _ORDER_KNOWN).where(*_SENDABLE).order_by(surveys.c.due_at).limit(1)
        )
