"""Courtesy calls in PostgreSQL: one per (order, milestone)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc.domain.values import UNASSIGNED, CourtesyCall

_COLUMNS = "call_id, order_id, customer_id, milestone, account_manager, due_by, status, outcome, note, completed_at"


def _call(row: Any) -> CourtesyCall:
    return CourtesyCall(**row._asdict())


class SqlCallStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, call: CourtesyCall) -> bool:
        row = (
            await self._session.execute(
                text(
                    "INSERT INTO courtesy_calls (call_id, order_id, customer_id, milestone, account_manager, due_by) "
                    "VALUES (:call_id, :order_id, :customer_id, :milestone, :account_manager, :due_by) "
                    "ON CONFLICT DO NOTHING RETURNING call_id"
                ),
                {
                    "call_id": call.call_id,
                    "order_id": call.order_id,
                    "customer_id": call.customer_id,
                    "milestone": call.milestone,
                    "account_manager": call.account_manager,
                    "due_by": call.due_by,
                },
            )
        ).first()
        return row is not None

    async def get(self, call_id: str, *, lock: bool = False) -> CourtesyCall | None:
        suffix = " FOR UPDATE" if lock else ""
        row = (
            await self._session.execute(text(f"SELECT {_COLUMNS} FROM courtesy_calls WHERE call_id = :c{suffix}"), {"c": call_id})
        ).first()
        return None if row is None else _call(row)

    async def complete(self, call: CourtesyCall) -> None:
        await self._session.execute(
            text(
                "UPDATE courtesy_calls SET status = :status, outcome = :outcome, note = :note, completed_at = :at "
                "WHERE call_id = :c"
            ),
            {"c": call.call_id, "status": call.status, "outcome": call.outcome, "note": call.note, "at": call.completed_at},
        )

    async def assign_unassigned(self, customer_id: str, account_manager: str) -> list[CourtesyCall]:
        rows = await self._session.execute(
            text(
                "UPDATE courtesy_calls SET account_manager = :m WHERE customer_id = :c AND status = 'open' "
                f"AND account_manager = :unassigned RETURNING {_COLUMNS}"
            ),
            {"m": account_manager, "c": customer_id, "unassigned": UNASSIGNED},
        )
        return [_call(row) for row in rows]

    async def page(
        self, *, status: str | None, account_manager: str | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[CourtesyCall]:
        rows = await self._session.execute(
            text(
                f"SELECT {_COLUMNS} FROM courtesy_calls "
                "WHERE (CAST(:status AS text) IS NULL OR status = :status) "
                "AND (CAST(:manager AS text) IS NULL OR account_manager = :manager) "
                "AND (CAST(:after_due AS timestamptz) IS NULL OR (due_by, call_id) > (:after_due, :after_id)) "
                "ORDER BY due_by, call_id LIMIT :limit"
            ),
            {
                "status": status,
                "manager": account_manager,
                "after_due": after[0] if after else None,
                "after_id": after[1] if after else "",
                "limit": limit,
            },
        )
        return [_call(row) for row in rows]
