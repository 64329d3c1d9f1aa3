"""Tombstones of evicted orders: events for them are recognised (and revive the order) until the
tombstone expires, the longest window after the eviction.

Held compactly: a dict of ~110 bytes per order id (a 60-byte string, an int, a slot) was ~30 MB
at the end of a month-long replay. Here an id costs its UTF-8 bytes twice and ~16 bytes more:
once with its until in one of HASH_BUCKETS byte strings (`\\nid\\tuntil\\nid\\tuntil\\n`, found by
one substring search), once in the batch of the ids that expire together (the ids evicted at
one clock share one `until`; batches are kept in expiry order, so expiring reads the front; a
listing whose id was revived since, or tombstoned again with another until, is skipped). Ids
with a newline or a tab (none in practice) are kept in a plain dict. Exact: no id is ever taken
for another.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Iterator

HASH_BUCKETS = 1 << 14
_NL, _TAB = b"\n", b"\t"


def _until(batch: list) -> int:
    return batch[0]


def _plain(order_id: str) -> bool:
    return "\n" not in order_id and "\t" not in order_id


class Tombstones:
    """A mapping order id -> until_ms (the clock it expires at), with expiry from the front."""

    __slots__ = ("_buckets", "_batches", "_other", "_count")

    def __init__(self) -> None:
        self._buckets: dict[int, bytes] = {}  # hash(id) % HASH_BUCKETS -> b"\nid\tuntil\n..."
        self._batches: deque[list] = deque()  # [until_ms, bytearray(b"\nid\nid\n")], until ascending
        self._other: dict[str, int] = {}  # ids holding a newline or a tab
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def _find(self, order_id: str) -> tuple[int, bytes | None, int]:
        """(bucket slot, bucket, offset of the id's entry or -1)."""
        slot = hash(order_id) % HASH_BUCKETS
        bucket = self._buckets.get(slot)
        if bucket is None:
            return slot, None, -1
        return slot, bucket, bucket.find(_NL + order_id.encode() + _TAB)

    def __contains__(self, order_id: object) -> bool:
        if type(order_id) is not str:  # noqa: E721
            return isinstance(order_id, str) and str(order_id) in self
        if not _plain(order_id):
            return order_id in self._other
        return self._find(order_id)[2] >= 0

    def __getitem__(self, order_id: str) -> int:
        if type(order_id) is not str or not _plain(order_id):  # noqa: E721
            return self._other[order_id]
        _, bucket, at = self._find(order_id)
        if at < 0:
            raise KeyError(order_id)
        start = bucket.index(_TAB, at + 1) + 1
        return int(bucket[start:bucket.index(_NL, start)])

    def add(self, order_id: str, until_ms: int) -> None:
        """Tombstone `order_id` until `until_ms`. Usually the latest until (the clock never goes
        back; restore adds them sorted); an earlier one - an order spilled from memory before its
        claim window closed keeps its tombstone longer than orders evicted after it - goes into
        its batch in expiry order (found by bisection; such untils are whole hours, so few
        batches)."""
        if order_id in self:
            del self[order_id]
        self._count += 1
        if not _plain(order_id):
            self._other[order_id] = until_ms
            return
        raw = order_id.encode()
        slot = hash(order_id) % HASH_BUCKETS
        self._buckets[slot] = self._buckets.get(slot, _NL) + raw + _TAB + str(until_ms).encode() + _NL
        batches = self._batches
        if not batches or batches[-1][0] < until_ms:
            batches.append([until_ms, bytearray(_NL + raw + _NL)])
            return
        at = len(batches) - 1 if batches[-1][0] == until_ms else bisect_left(batches, until_ms, key=_until)
        if batches[at][0] == until_ms:
            batches[at][1] += raw + _NL  # a bytearray: in place
        else:
            batches.insert(at, [until_ms, bytearray(_NL + raw + _NL)])

    def __delitem__(self, order_id: str) -> None:
        """Drop a tombstone before it expires (the order was revived; its batch skips it then)."""
        if type(order_id) is not str or not _plain(order_id):  # noqa: E721
            del self._other[order_id]
            self._count -= 1
            return
        slot, bucket, at = self._find(order_id)
        if at < 0:
            raise KeyError(order_id)
        end = bucket.index(_NL, at + 1)
        bucket = bucket[:at] + bucket[end:]
        if bucket == _NL:
            del self._buckets[slot]
        else:
            self._buckets[slot] = bucket
        self._count -= 1

    def expire(self, clock_ms: int) -> list[str]:
        """Drop the tombstones whose until is at or before `clock_ms`; returns their ids."""
        expired = [key for key, until in self._other.items() if until <= clock_ms]
        for key in expired:
            del self[key]
        while self._batches and self._batches[0][0] <= clock_ms:
            until, ids = self._batches.popleft()
            for raw in ids.split(_NL)[1:-1]:
                order_id = raw.decode()
                if order_id in self and self[order_id] == until:  # else revived since, or renewed
                    del self[order_id]
                    expired.append(order_id)
        return expired

    def __iter__(self) -> Iterator[str]:
        for bucket in self._buckets.values():
            for entry in bucket.split(_NL)[1:-1]:
                yield entry[:entry.rindex(_TAB)].decode()
        yield from self._other

    def items(self) -> Iterable[tuple[str, int]]:
        return [(order_id, self[order_id]) for order_id in self]
