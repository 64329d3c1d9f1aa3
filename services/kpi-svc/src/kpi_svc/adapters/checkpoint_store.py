"""The checkpoint of the in-memory KPI engines in PostgreSQL: per partition its entities (orders,
labor shifts, tombstones), its window buckets and a meta row; beside them the consumer offsets
(with the event id of the record before each offset) and the partition's owner epoch.
Everything one checkpoint changed is written in ONE transaction (architecture.md, guarantee 4),
and only while the writer still holds the epoch it got when it restored the partition.

The tombstone of an order settled by a checkpoint is kept in that order's `kpi_settled` row
(`tombstone_until_ms`, checkpoint layout 2) instead of as a `kpi_orders` row of its own: one
row written per settled order instead of two (docs/kpi-decisions.md, "Checkpoint format").
Restoring hands those tombstones back among the entities, as layout 1 stored them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from typing import Any, NamedTuple

import asyncpg
import orjson
from orderpulse.db.direct import DirectConnections

from kpi_svc.domain import CheckpointDelta, encode_tombstone

# every statement goes to asyncpg itself (positional parameters), on connections of the platform's
# DirectConnections: kpi-svc's process does not load SQLAlchemy (docs/kpi-decisions.md)
_UPSERT_ORDER = (
    "INSERT INTO kpi_orders (partition, order_id, payload) VALUES ($1, $2, $3) "
    "ON CONFLICT (partition, order_id) DO UPDATE SET payload = EXCLUDED.payload"
)
_DELETE_ORDERS = "DELETE FROM kpi_orders WHERE partition = $1 AND order_id = ANY($2::text[])"
_UPSERT_BUCKET = (
    "INSERT INTO kpi_buckets (partition, key, payload) VALUES ($1, $2, $3) "
    "ON CONFLICT (partition, key) DO UPDATE SET payload = EXCLUDED.payload"
)
_DELETE_BUCKET = "DELETE FROM kpi_buckets WHERE partition = $1 AND key = $2"
_UPSERT_META = (
    "INSERT INTO kpi_meta (partition, payload) VALUES ($1, $2) ON CONFLICT (partition) DO UPDATE SET payload = EXCLUDED.payload"
)
_UPSERT_OFFSET = (
    "INSERT INTO kpi_offsets (topic, partition, next_offset, last_event_id) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, last_event_id = EXCLUDED.last_event_id"
)
_UPSERT_SETTLED = (
    "INSERT INTO kpi_settled (order_id, partition, keep_until_ms, payload, tombstone_until_ms) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (order_id) DO UPDATE SET partition = EXCLUDED.partition, keep_until_ms = EXCLUDED.keep_until_ms, "
    "payload = EXCLUDED.payload, tombstone_until_ms = EXCLUDED.tombstone_until_ms"
)
_CLAIM = (
    "INSERT INTO kpi_owners (partition, epoch) VALUES ($1, 1) "
    "ON CONFLICT (partition) DO UPDATE SET epoch = kpi_owners.epoch + 1 RETURNING epoch"
)
# the most order rows (~3 KB each) held encoded at once while a checkpoint is written: asyncpg
# encodes them as it sends them, ~128 KB at a time (~40 rows), so this bound is generous (the
# memory benchmark holds this many at once, as the writer did when it sent chunks of them)
ORDER_ROWS_PER_STATEMENT = 1000
# the settled rows' statement reads the deltas, and a stream's PendingDeltas reconciles each engine
# then (the clock jump after a catch-up: seconds of CPU for tens of thousands of orders), which
# the connections' command timeout (30 s) would count as PostgreSQL's time
SETTLED_STATEMENT_TIMEOUT_S = 600.0
_EPOCHS = "SELECT partition, epoch FROM kpi_owners WHERE partition = ANY($1::int[]) ORDER BY partition FOR UPDATE"
_OFFSETS = "SELECT topic, partition, next_offset, last_event_id FROM kpi_offsets"
_ORDERS_OF = "SELECT order_id, payload FROM kpi_orders WHERE partition = $1"
_BUCKETS_OF = "SELECT key, payload FROM kpi_buckets WHERE partition = $1"
_META_OF = "SELECT payload FROM kpi_meta WHERE partition = $1"
# the tombstones kept with settled orders that were alive at the checkpoint (Tombstones.expire
# drops those at or before the clock: an expired one is left in its row, never written again);
# an entity row of the same key (the order revived since) wins
_TOMBSTONES_OF = "SELECT order_id, tombstone_until_ms FROM kpi_settled WHERE partition = $1 AND tombstone_until_ms > $2"
_BUCKETS_EXCEPT = "SELECT partition, key, payload FROM kpi_buckets WHERE NOT (partition = ANY($1::int[]))"
# an evicted order's row in kpi_orders is its tombstone: only a list is an order's facts
_ORDER_PAYLOADS = tuple(f"SELECT payload FROM {table} WHERE order_id = $1 LIMIT 1" for table in ("kpi_orders", "kpi_settled"))
_SETTLED = "SELECT order_id, payload FROM kpi_settled WHERE order_id = ANY($1::text[])"
# a settled row goes once its facts' retention passed and the tombstone it keeps, if any, expired
_FORGET_SETTLED = (
    "DELETE FROM kpi_settled WHERE keep_until_ms < $1 AND (tombstone_until_ms IS NULL OR tombstone_until_ms <= $1)"
)


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
    def __init__(self, connections: DirectConnections) -> None:
        self._connections = connections

    async def claim(self, partition: int) -> tuple[int, PartitionCheckpoint]:
        """Become the partition's owner (a new epoch, which fences every earlier owner) and load its
        state in the same transaction: a stale owner's write either committed before (and is
        loaded) or waits for this one and is refused."""
        async with self._connections.acquire() as conn, conn.transaction():
            epoch = await conn.fetchval(_CLAIM, partition)
            return epoch, await _load(conn, partition)

    async def load(self, partition: int) -> PartitionCheckpoint:
        async with self._connections.acquire() as conn, conn.transaction():
            return await _load(conn, partition)

    async def offsets(self, topic_partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], StoredOffset]:
        wanted = set(topic_partitions)
        rows = await self._connections.fetch(_OFFSETS)
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
        ones. The tombstone of an order settled by a delta goes into its settled row, and any
        entity row of that order is deleted (it may have one from an earlier checkpoint).

        The deltas are read once each, in partition order, by the first statement (the settled
        rows), and every one of them before any offset is written: a mapping that takes each
        delta when it is read (the stream's PendingDeltas) has partition p+1 reconciled while
        PostgreSQL inserts the rows of partition p already sent."""
        written = set(deltas) | {p for _, p in offsets}
        async with self._connections.acquire() as conn, conn.transaction():
            if written:
                held = dict(await conn.fetch(_EPOCHS, sorted(written)))
                stale = {p for p in written if held.get(p) != epochs.get(p)}
                if stale:
                    raise Fenced(stale)
            carried: dict[int, dict[str, int]] = {}
            settled = _settled_rows(deltas, carried)  # reads every delta, in turn
            first = next(settled, None)
            if first is not None:
                await conn.executemany(_UPSERT_SETTLED, chain((first,), settled), timeout=SETTLED_STATEMENT_TIMEOUT_S)
            if any(k not in carried[p] for p, delta in deltas.items() for k in delta.orders):
                await conn.executemany(_UPSERT_ORDER, _order_rows(deltas, carried))
            delete_orders, upsert_buckets, delete_buckets, metas = [], [], [], []
            for p, delta in deltas.items():
                if delta.removed_orders or carried[p]:
                    delete_orders.append((p, [*delta.removed_orders, *carried[p]]))
                upsert_buckets += [(p, k, v) for k, v in delta.buckets.items()]
                delete_buckets += [(p, k) for k in delta.removed_buckets]
                metas.append((p, orjson.dumps(delta.meta)))
            for statement, rows in (
                (_DELETE_ORDERS, delete_orders),
                (_UPSERT_BUCKET, upsert_buckets),
                (_DELETE_BUCKET, delete_buckets),
                (_UPSERT_META, metas),
                (_UPSERT_OFFSET, [(t, p, o.next_offset, o.last_event_id) for (t, p), o in offsets.items()]),
            ):
                if rows:
                    await conn.executemany(statement, rows)

    async def buckets_except(self, partitions: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The checkpointed buckets of the partitions other replicas own."""
        rows = await self._connections.fetch(_BUCKETS_EXCEPT, sorted(set(partitions)))
        found: dict[int, dict[str, Any]] = {}
        for p, key, payload in rows:
            found.setdefault(p, {})[key] = orjson.loads(payload)
        return found

    async def order(self, order_id: str) -> list | None:
        """The facts of one order as last checkpointed, open or settled (any partition); None if unknown."""
        async with self._connections.acquire() as conn:
            for statement in _ORDER_PAYLOADS:
                payload = await conn.fetchval(statement, order_id)
                found = None if payload is None else orjson.loads(payload)
                if isinstance(found, list):
                    return found
            return None

    async def settled(self, order_ids: Iterable[str]) -> dict[str, list]:
        """The stored facts of settled (evicted) orders, by id."""
        rows = await self._connections.fetch(_SETTLED, sorted(set(order_ids)))
        return {order_id: orjson.loads(payload) for order_id, payload in rows}

    async def forget_settled(self, now_ms: int) -> int:
        """Drop settled orders kept long enough (settled_retention_s after they settled, and not
        before the tombstone their row keeps expired)."""
        status = await self._connections.execute(_FORGET_SETTLED, now_ms)
        return int(status.split()[-1])  # "DELETE <rows>"


def _carried_tombstones(delta: CheckpointDelta) -> dict[str, int]:
    """The delta's tombstones that go into a settled row of the same delta (key -> until)."""
    settled = delta.settled
    if not delta.tombstones or not settled:
        return {}
    return {k: until for k, until in delta.tombstones.items() if k in settled}


def _order_rows(deltas: Mapping[int, CheckpointDelta], carried: Mapping[int, dict[str, int]]) -> Iterator[tuple]:
    for p, delta in deltas.items():
        skip = carried[p]
        orders = delta.orders
        for k in orders:
            if k not in skip:  # read (encoded) only when written
                yield p, k, orders[k]


def _settled_rows(deltas: Mapping[int, CheckpointDelta], carried: dict[int, dict[str, int]]) -> Iterator[tuple]:
    """Every delta's settled rows, a delta read only when its turn comes; notes each delta's
    carried tombstones in `carried` as it reads it."""
    for p, delta in deltas.items():
        settled = delta.settled or {}
        tombstones = carried[p] = _carried_tombstones(delta)
        for k in settled:
            v, until = settled[k]
            yield k, p, until, v, tombstones.get(k)


async def _load(conn: asyncpg.Connection, partition: int) -> PartitionCheckpoint:
    rows = await conn.fetch(_ORDERS_OF, partition)
    buckets = await conn.fetch(_BUCKETS_OF, partition)
    meta = await conn.fetchval(_META_OF, partition)
    meta = None if meta is None else orjson.loads(meta)
    orders = {key: orjson.loads(payload) for key, payload in rows}
    clock_ms = None if meta is None else meta.get("clock_ms")
    if clock_ms is not None:  # layout 2: tombstones kept with their settled orders
        for key, until in await conn.fetch(_TOMBSTONES_OF, partition, clock_ms):
            orders.setdefault(key, encode_tombstone(until))
    return PartitionCheckpoint(orders, {key: orjson.loads(payload) for key, payload in buckets}, meta)
