"""The `Idempotency-Key` store, over the shared table every service owns."""

from __future__ import annotations

from orderpulse.db.idempotency import claim_idempotency_key, save_idempotent_response
from sqlalchemy.ext.asyncio import AsyncSession

from feedback_svc.service_layer.ports import StoredReply


class SqlIdempotencyKeys:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, principal: str, key: str, fingerprint: str) -> StoredReply | None:
        stored = await claim_idempotency_key(self._session, principal, key, fingerprint)
        return None if stored is None else StoredReply(stored.status_code, stored.body)

    async def save(self, principal: str, key: str, status_code: int, body: bytes) -> None:
        await save_idempotent_response(self._session, principal, key, status_code, body)
