"""`Idempotency-Key`: the same key with the same body gets the first answer; another body is a conflict.

The key is claimed inside the caller's transaction, so two concurrent requests with one key
serialise on the primary key: the second waits for the first to commit, then replays it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from orderpulse.db.errors import IdempotencyKeyReused

_CLAIM = text(
    "INSERT INTO idempotency_keys (principal, key, request_hash) VALUES (:principal, :key, :hash) "
    "ON CONFLICT DO NOTHING RETURNING key"
)
_READ = text(
    "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE principal = :principal AND key = :key"
)
_SAVE = text(
    "UPDATE idempotency_keys SET status_code = :status, response_body = :body WHERE principal = :principal AND key = :key"
)
_PURGE = text("DELETE FROM idempotency_keys WHERE created_at < clock_timestamp() - make_interval(secs => :s)")


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes


def request_fingerprint(method: str, path: str, body: object) -> str:
    canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


async def claim_idempotency_key(session: AsyncSession, principal: str, key: str, fingerprint: str) -> StoredResponse | None:
    """None when this request is the first with `key` (go ahead); the stored answer when it is a replay."""
    claimed = (await session.execute(_CLAIM, {"principal": principal, "key": key, "hash": fingerprint})).first()
    if claimed is not None:
        return None
    row = (await session.execute(_READ, {"principal": principal, "key": key})).one()
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused(key)
    return StoredResponse(status_code=row.status_code, body=bytes(row.response_body))


async def save_idempotent_response(session: AsyncSession, principal: str, key: str, status_code: int, body: bytes) -> None:
    await session.execute(_SAVE, {"principal": principal, "key": key, "status": status_code, "body": body})


async def purge_idempotency_keys(session: AsyncSession | AsyncConnection, retention_s: int) -> int:
    """Forget keys older than `retention_s` (the outbox relay's housekeeping calls it)."""
    result = await session.execute(_PURGE, {"s": retention_s})
    return result.rowcount or 0
