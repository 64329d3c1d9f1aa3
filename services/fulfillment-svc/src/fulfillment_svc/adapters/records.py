"""Append-mostly records: carrier scans seen (dedup per carrier and event id), labor shifts,
returns received, and the `Idempotency-Key` store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from orderpulse.db.bulk import BulkInsert
from orderpulse.db.idempotency import claim_idempotency_key, save_idempotent_response
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fulfillment_svc.adapters.tables import labor_shifts, received_returns, requested_returns
from fulfillment_svc.domain.events import LaborShiftRecorded
from fulfillment_svc.service_layer.ports import ReceivedReturn, RecordedShift, RequestedReturn, ScanClaim, StoredReply

# one statement text each, whatever the number of scans: a multi-row VALUES (or an IN list) was a
# statement SQLAlchemy built and compiled on every batch (~17 % of a batch's CPU, docs/benchmarks.md `fulroutes2`)
_SEEN = text("SELECT event_id FROM carrier_scans WHERE carrier = :carrier AND event_id = ANY(CAST(:event_ids AS text[]))")
_CLAIM_SCANS = BulkInsert("carrier_scans", {
    "carrier": ("carrier", "text"), "event_id": ("event_id", "text"), "tracking_number": ("tracking_number", "text"),
    "shipment_id": ("shipment_id", "text"), "status": ("status", "text"), "occurred_at": ("occurred_at", "timestamptz"),
    "applied": ("applied", "bool"),
}, conflict="(carrier, event_id) DO NOTHING RETURNING event_id")
_CLAIM_SCANS_SQL = text(_CLAIM_SCANS.sql())


class SqlScanLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def seen(self, carrier: str, event_ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(event_ids))
        if not wanted:
            return set()
        rows = await self._session.execute(_SEEN, {"carrier": carrier, "event_ids": wanted})
        return {row.event_id for row in rows}

    async def claim(self, carrier: str, claims: Sequence[ScanClaim]) -> set[str]:
        if not claims:
            return set()
        rows = await self._session.execute(_CLAIM_SCANS_SQL, _CLAIM_SCANS.arrays([
            {"carrier": carrier, "event_id": claim.event_id, "tracking_number": claim.tracking_number,
             "shipment_id": claim.shipment_id, "status": claim.status, "occurred_at": claim.occurred_at,
             "applied": claim.applied}
            for claim in sorted(claims, key=lambda c: c.event_id)
        ]))
        return {row.event_id for row in rows}


class SqlLaborShifts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, shift: LaborShiftRecorded) -> bool:
        inserted = await self._session.scalar(
            insert(labor_shifts)
            .values(
                warehouse_id=shift.warehouse_id,
                shift_id=shift.shift_id,
                start_at=shift.start,
                end_at=shift.end,
                staff=shift.staff,
                hourly_cost=shift.hourly_cost,
            )
            .on_conflict_do_nothing(index_elements=["warehouse_id", "shift_id"])
            .returning(labor_shifts.c.shift_id)
        )
        return inserted is not None

    async def get(self, warehouse_id: str, shift_id: str) -> RecordedShift | None:
        row = (
            await self._session.execute(
                select(labor_shifts).where(labor_shifts.c.warehouse_id == warehouse_id, labor_shifts.c.shift_id == shift_id)
            )
        ).first()
        if row is None:
            return None
        return RecordedShift(row.warehouse_id, row.shift_id, row.start_at, row.end_at, row.staff, row.hourly_cost)


class SqlReturnsReceived:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, received: ReceivedReturn) -> bool:
        inserted = await self._session.scalar(
            insert(received_returns)
            .values(
                return_id=received.return_id,
                order_id=received.order_id,
                fulfillment_id=received.fulfillment_id,
                condition=received.condition,
                lines=list(received.lines),
                restocked=list(received.restocked),
                occurred_at=received.occurred_at,
            )
            .on_conflict_do_nothing(index_elements=["return_id"])
            .returning(received_returns.c.return_id)
        )
        return inserted is not None

    async def get(self, return_id: str) -> ReceivedReturn | None:
        row = (await self._session.execute(select(received_returns).where(received_returns.c.return_id == return_id))).first()
        if row is None:
            return None
        return ReceivedReturn(
            return_id=row.return_id,
            order_id=row.order_id,
            fulfillment_id=row.fulfillment_id,
            condition=row.condition,
            lines=tuple(row.lines),
            restocked=tuple(row.restocked),
            occurred_at=row.occurred_at,
        )


class SqlRequestedReturns:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_many(self, requested: Sequence[RequestedReturn]) -> None:
        """One statement, one text whatever the number of returns (a multi-row VALUES was a new
        statement to compile and prepare for every count, every batch); a return id already known
        (or given twice) keeps its first request."""
        if not requested:
            return
        await self._session.execute(_ADD_REQUESTED_SQL, _ADD_REQUESTED.arrays([
            {"return_id": r.return_id, "order_id": r.order_id, "lines": list(r.lines), "reason": r.reason,
             "kind": r.kind, "requested_at": r.requested_at}
            for r in requested
        ]))

    async def order_of(self, return_id: str) -> str | None:
        query = select(requested_returns.c.order_id).where(requested_returns.c.return_id == return_id)
        return await self._session.scalar(query)


_ADD_REQUESTED = BulkInsert("requested_returns", {
    "return_id": ("return_id", "text"), "order_id": ("order_id", "text"), "lines": ("lines", "jsonb"),
    "reason": ("reason", "text"), "kind": ("kind", "text"), "requested_at": ("requested_at", "timestamptz"),
}, conflict="(return_id) DO NOTHING")
_ADD_REQUESTED_SQL = text(_ADD_REQUESTED.sql())


class SqlIdempotencyKeys:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, principal: str, key: str, fingerprint: str) -> StoredReply | None:
        stored = await claim_idempotency_key(self._session, principal, key, fingerprint)
        return None if stored is None else StoredReply(stored.status_code, stored.body)

    async def save(self, principal: str, key: str, status_code: int, body: bytes) -> None:
        await save_idempotent_response(self._session, principal, key, status_code, body)
