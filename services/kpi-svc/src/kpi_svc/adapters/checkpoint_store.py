"""The checkpoint of the in-memory KPI engines in PostgreSQL: per partition its entities (orders,
labor shifts, tombstones), its window buckets and a meta row; beside them the consumer offsets
(with the event id of the record before each offset) and the partition's owner epoch.
Everything one checkpoint changed is written in ONE transaction (architecture.md, guarantee 4),
and only while the writer still holds the epoch it got when it restored the partition."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kpi_svc.domain import CheckpointDelta

# order rows go through asyncpg itself (positional parameters): see CheckpointStore.save
_UPSERT_ORDER = (
    "INSERT INTO kpi_orders (partition, order_id, payload) VALUES ($1, $2, $3) "
    "ON CONFLICT (partition, order_id) DO UPDATE SET payload = EXCLUDED.payload"
)
_DELETE_ORDER = text("DELETE FROM kpi_orders WHERE partition = :p AND order_id = :k")
_UPSERT_BUCKET = text(
    "INSERT INTO kpi_buckets (partition, key, payload) VALUES (:p, :k, :v) "
    "ON CONFLICT (partition, key) DO UPDATE SET payload = EXCLUDED.payload"
)
_DELETE_BUCKET = text("DELETE FROM kpi_buckets WHERE partition = :p AND key = :k")
_UPSERT_META = text(
    "INSERT INTO kpi_meta (partition, payload) VALUES (:p, :v) ON CONFLICT (partition) DO UPDATE SET payload = EXCLUDED.payload"
)
_UPSERT_OFFSET = text(
    "INSERT INTO kpi_offsets (topic, partition, next_offset, last_event_id) VALUES (:t, :p, :o, :e) "
    "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, last_event_id = EXCLUDED.last_event_id"
)
_UPSERT_SETTLED = (
    "INSERT INTO kpi_settled (order_id, partition, keep_until_ms, payload) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (order_id) DO UPDATE SET partition = EXCLUDED.partition, keep_until_ms = EXCLUDED.keep_until_ms, "
    "payload = EXCLUDED.payload"
)
_CLAIM = text(
    "INSERT INTO kpi_owners (partition, epoch) VALUES (:p, 1) "
    "ON CONFLICT (partition) DO UPDATE SET epoch = kpi_owners.epoch + 1 RETURNING epoch"
)
# the most order rows (~3 KB each) held encoded at once while a checkpoint is written: asyncpg
# encodes them as it sends them, ~128 KB at a time (~40 rows), so this bound is generous (the
# memory benchmark holds this many at once, as the writer did when it sent chunks of them)
ORDER_ROWS_PER_STATEMENT = 1000
_EPOCHS = text("SELECT partition, epoch FROM kpi_owners WHERE partition = ANY(:ps) ORDER BY partition FOR UPDATE")


class Fenced(Exception):
    """Another replica restored these partitions after this one did: this one's checkpoint is refused."""

    def __init__(self, partitions: Iterable[int]) -> None:
        self.partitions = sorted(partitions)
        super().__init__(f"partitions {self.partitions} were restored by another owner since; checkpoint refused")


class StoredOffset(NamedTuple):
    next_offset: int
    last_event_id: str | None  # the id of the event at next_offset - 1, when it was one


class PartitionCheckpoint:
    """One partition's stored state, deserialized (the arguments of KpiEngine.restore)."""

    def __init__(self, orders: dict[str, Any], buckets: dict[str, Any], meta: dict | None) -> None:
        self.orders, self.buckets, self.meta = orders, buckets, meta


class CheckpointStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim(self, partition: int) -> tuple[int, PartitionCheckpoint]:
        """Become the partition's owner (a new epoch, which fences every earlier owner) and load its
        state in the same transaction: a stale owner's write either committed before (and is
        loaded) or waits for this one and is refused."""
        async with self._engine.begin() as conn:
            epoch = (await conn.execute(_CLAIM, {"p": partition})).scalar_one()
            return epoch, await _load(conn, partition)

    async def load(self, partition: int) -> PartitionCheckpoint:
        async with self._engine.connect() as conn:
            return await _load(conn, partition)

    async def offsets(self, topic_partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], StoredOffset]:
        wanted = set(topic_partitions)
        async with self._engine.connect() as conn:
            rows = await conn.execute(text("SELECT topic, partition, next_offset, last_event_id FROM kpi_offsets"))
            return {(topic, p): StoredOffset(offset, last) for topic, p, offset, last in rows if (topic, p) in wanted}

    async def save(
        self,
        deltas: Mapping[int, CheckpointDelta],
        offsets: Mapping[tuple[str, int], StoredOffset],
        epochs: Mapping[int, int],
    ) -> None:
        """Every delta (payloads bytes) and the next offsets, in one transaction, refused (Fenced)
        when a partition written is no longer owned at the epoch given for it. The order rows
        are read from each delta's orders as asyncpg sends them: a delta's DeferredOrders encodes
        them then (kpi_svc.domain.checkpoint), so a delta of thousands of changed orders is never
        held encoded at once; its settled orders (DeferredSettled) likewise. asyncpg encodes the
        rows of one statement lazily, ~128 KB at a time, and sends each part before encoding the
        next, so PostgreSQL inserts the rows already sent while this process encodes the next
        ones (through SQLAlchemy, each chunk was encoded whole first, then sent and waited for:
        the two took turns)."""
        delete_orders, upsert_buckets, delete_buckets, metas = [], [], [], []
        for p, delta in deltas.items():
            delete_orders += [{"p": p, "k": k} for k in delta.removed_orders]
            upsert_buckets += [{"p": p, "k": k, "v": v} for k, v in delta.buckets.items()]
            delete_buckets += [{"p": p, "k": k} for k in delta.removed_buckets]
            metas.append({"p": p, "v": orjson.dumps(delta.meta)})
        written = set(deltas) | {p for _, p in offsets}
        async with self._engine.begin() as conn:
            if written:
                held = dict((await conn.execute(_EPOCHS, {"ps": sorted(written)})).all())
                stale = {p for p in written if held.get(p) != epochs.get(p)}
                if stale:
                    raise Fenced(stale)
            if any(delta.orders for delta in deltas.values()) or any(delta.settled for delta in deltas.values()):
                driver = await _driver_in_transaction(conn)
                if any(delta.orders for delta in deltas.values()):
                    await driver.executemany(_UPSERT_ORDER, _order_rows(deltas))
                if any(delta.settled for delta in deltas.values()):
                    await driver.executemany(_UPSERT_SETTLED, _settled_rows(deltas))
            for statement, rows in (
                (_DELETE_ORDER, delete_orders),
                (_UPSERT_BUCKET, upsert_buckets),
                (_DELETE_BUCKET, delete_buckets),
                (_UPSERT_META, metas),
                (_UPSERT_OFFSET, [{"t": t, "p": p, "o": o.next_offset, "e": o.last_event_id} for (t, p), o in offsets.items()]),
            ):
                if rows:
                    await conn.execute(statement, rows)

    async def buckets_except(self, partitions: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The checkpointed buckets of the partitions other replicas own."""
        owned = sorted(set(partitions))
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT partition, key, payload FROM kpi_buckets WHERE NOT (partition = ANY(:owned))"), {"owned": owned}
            )
            found: dict[int, dict[str, Any]] = {}
            for p, key, payload in rows:
                found.setdefault(p, {})[key] = orjson.loads(payload)
            return found

    async def order(self, order_id: str) -> list | None:
        """The facts of one order as last checkpointed, open or settled (any partition); None if unknown."""
        async with self._engine.connect() as conn:
            for table in ("kpi_orders", "kpi_settled"):  # an evicted order's row in kpi_orders is its tombstone
                payload = (await conn.execute(text(f"SELECT payload FROM {table} WHERE order_id = :k LIMIT 1"), {"k": order_id})).scalar()
                found = None if payload is None else orjson.loads(payload)
                if isinstance(found, list):
                    return found
            return None

    async def settled(self, order_ids: Iterable[str]) -> dict[str, list]:
        """The stored facts of settled (evicted) orders, by id."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT order_id, payload FROM kpi_settled WHERE order_id = ANY(:ids)"), {"ids": sorted(set(order_ids))}
            )
            return {order_id: orjson.loads(payload) for order_id, payload in rows}

    async def forget_settled(self, now_ms: int) -> int:
        """Drop settled orders kept long enough (settled_retention_s after they settled)."""
        async with self._engine.begin() as conn:
            return (await conn.execute(text("DELETE FROM kpi_settled WHERE keep_until_ms < :now"), {"now": now_ms})).rowcount


async def _driver_in_transaction(conn: AsyncConnection):
    """The asyncpg connection under `conn`, whose transaction SQLAlchemy has begun (it begins it
    at its first statement: the epoch check runs before any row is written)."""
    driver = (await conn.get_raw_connection()).driver_connection
    if not driver.is_in_transaction():
        raise RuntimeError("checkpoint rows must be written inside the checkpoint's transaction")
    return driver


def _order_rows(deltas: Mapping[int, CheckpointDelta]) -> Iterator[tuple]:
    for p, delta in deltas.items():
        for k, v in delta.orders.items():
            yield p, k, v


def _settled_rows(deltas: Mapping[int, CheckpointDelta]) -> Iterator[tuple]:
    for p, delta in deltas.items():
        settled = delta.settled or {}
        for k in settled:
            v, until = settled[k]
            yield k, p, until, v


async def _load(conn: AsyncConnection, partition: int) -> PartitionCheckpoint:
    orders = await conn.execute(text("SELECT order_id, payload FROM kpi_orders WHERE partition = :p"), {"p": partition})
    buckets = await conn.execute(text("SELECT key, payload FROM kpi_buckets WHERE partition = :p"), {"p": partition})
    meta = (await conn.execute(text("SELECT payload FROM kpi_meta WHERE partition = :p"), {"p": partition})).scalar()
    return PartitionCheckpoint(
        {key: orjson.loads(payload) for key, payload in orders},
        {key: orjson.loads(payload) for key, payload in buckets},
        None if meta is None else orjson.loads(meta),
    )
