"""Quiet orders kept compressed in memory (~0.6 KB instead of ~5.5 KB each).

A delivered or cancelled order mostly waits out its seven-day claim window, and an order in
flight waits hours between its events (picking, transit); its facts are needed again only
when its next event or clock arrives. Such an order is frozen (marshal + zlib, in memory
only, never persisted: marshal is tied to the Python version) and thawed by the next event or
wake that needs it. Evicted orders also wait in this form for the next checkpoint delta.

Two things keep an entry small (docs/kpi-decisions.md, "Memory"):

- One bytes object per order: its wake (8 bytes) then the frozen facts; no (wake, blob) tuple.
- A preset zlib dictionary learnt from the engine's own orders: the raw form of a few of the
  first `learn_after` settled orders frozen (spread over them; settled orders waiting out
  their claim window are most of the store). Frozen orders repeat the same field layout,
  event types and labels, which a blob of its own cannot share with the others. A flag byte
  says whether a blob was compressed with the dictionary (blobs frozen before it was learnt
  stay readable).
"""

from __future__ import annotations

import marshal
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import fields

from .facts import OrderFacts

# Every field but `keys` (shared label tuples: re-interned from `labels` on thaw) and
# `contrib` (arrays, which marshal does not take: frozen as their bytes, last).
_FIELDS = tuple(f.name for f in fields(OrderFacts) if f.name not in ("keys", "contrib"))
_PLAIN, _PRESET = 0, 1
_WAKE_BYTES = 8
_SAMPLES = 4  # raw forms joined into the dictionary (~4-6 KB: larger ones cost more per freeze than they save)
_LEVEL = 1  # level 6 saves ~50 bytes more a blob but costs ~18 µs more per freeze (CPU time): ~9% of a replay


def _raw(order: OrderFacts) -> bytes:
    contrib = order.contrib
    if contrib is not None:
        contrib = {family: part.tobytes() if type(part) is array else part for family, part in contrib.items()}
    return marshal.dumps((*(getattr(order, name) for name in _FIELDS), contrib))


def _order(raw: bytes) -> OrderFacts:
    order = OrderFacts.__new__(OrderFacts)
    *values, contrib = marshal.loads(raw)
    for name, value in zip(_FIELDS, values, strict=True):
        setattr(order, name, value)
    if contrib is not None:
        contrib = {family: _array(part) if type(part) is bytes else part for family, part in contrib.items()}
    order.contrib = contrib
    order.keys = ()
    return order


def _array(raw: bytes) -> array:
    packed = array("q")
    packed.frombytes(raw)
    return packed


class ColdStore:
    """order id -> (wake_ms, frozen facts), one bytes object per order."""

    __slots__ = ("_entries", "_zdict", "_samples", "_frozen", "_learn_after")

    def __init__(self, learn_after: int = 1000) -> None:
        self._entries: dict[str, bytes] = {}
        self._zdict: bytes | None = None
        self._samples: list[bytes] = []
        self._frozen = 0
        self._learn_after = max(learn_after, _SAMPLES)

    # --- compression ---------------------------------------------------------------------
    def freeze(self, order: OrderFacts) -> bytes:
        """The order's facts, compressed (thaw gives them back)."""
        raw = _raw(order)
        zdict = self._zdict
        if zdict is None:
            if order.completed is not None or order.cancelled is not None:
                self._learn(raw)
            return bytes((_PLAIN,)) + zlib.compress(raw, 1)
        packer = zlib.compressobj(_LEVEL, zdict=zdict)
        return bytes((_PRESET,)) + packer.compress(raw) + packer.flush()

    def thaw(self, frozen: bytes | memoryview) -> OrderFacts:
        if frozen[0] == _PLAIN:
            return _order(zlib.decompress(frozen[1:]))
        unpacker = zlib.decompressobj(zdict=self._zdict)
        return _order(unpacker.decompress(frozen[1:]) + unpacker.flush())

    def _learn(self, raw: bytes) -> None:
        self._frozen += 1
        if self._frozen % (self._learn_after // _SAMPLES) == 0:
            self._samples.append(raw)
            if len(self._samples) == _SAMPLES:
                self._zdict, self._samples = b"".join(self._samples)[-32768:], []

    # --- the mapping ---------------------------------------------------------------------
    def put(self, order: OrderFacts, wake_ms: int) -> None:
        self._entries[order.order_id] = wake_ms.to_bytes(_WAKE_BYTES, "big", signed=True) + self.freeze(order)

    def thaw_held(self, held: bytes | OrderFacts) -> OrderFacts:
        """An order held compressed (this store's frozen form) or expanded, expanded."""
        return self.thaw(held) if type(held) is bytes else held  # noqa: E721 (exact bytes)

    def frozen(self, order_id: str) -> bytes:
        """The order's frozen facts (KeyError if it is not here)."""
        return self._entries[order_id][_WAKE_BYTES:]

    def peek(self, order_id: str) -> OrderFacts:
        """A copy of the order's facts; it stays here."""
        return self.thaw(memoryview(self._entries[order_id])[_WAKE_BYTES:])

    def take(self, order_id: str) -> OrderFacts:
        """The order's facts; it leaves the store."""
        return self.thaw(memoryview(self._entries.pop(order_id))[_WAKE_BYTES:])

    def wake_of(self, order_id: str) -> int | None:
        entry = self._entries.get(order_id)
        return None if entry is None else int.from_bytes(entry[:_WAKE_BYTES], "big", signed=True)

    def size_of(self, order_id: str) -> int:
        """Bytes the order's entry holds (wake and frozen facts)."""
        return len(self._entries[order_id])

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)
