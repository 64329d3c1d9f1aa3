"""`Idempotency-Key` records, in the same transaction as the work they guard."""

from __future__ import annotations

from orderpulse.db.idempotency import claim_idempotency_key, save_idempotent_response
from sqlalchemy.ext.asyncio import AsyncSession

from order_svc.service_layer.ports import IdempotentRequest, Reply


class SqlIdempotencyKeys:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, request: IdempotentRequest) -> Reply | None:
        stored = await claim_idempotency_key(self._session, request.principal, request.key, request.fingerprint)
        if stored is None:
            return None
        return Reply(status_code=stored.status_code, body=stored.body, replayed=True)

    async def remember(self, request: IdempotentRequest, reply: Reply) -> None:
        await save_idempotent_response(self._session, request.principal, request.key, reply.status_code, reply.body)
