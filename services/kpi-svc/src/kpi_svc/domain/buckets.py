"""Time buckets of KPI numerators and denominators: the mergeable part of the engine state.

Two resolutions, both on event time:

- fine buckets (`bucket_s`, default 1 min) hold the total cell (`*`) for the longest window
  and the group cells (`carrier=dhl`, ...) for `group_retention_s` (default 25 h);
- coarse buckets (`coarse_bucket_s`, default 1 h) hold the total for fast long windows, and
  the group cells of the hours older than the fine group retention (they are folded in as
  they age).

Totals are therefore exact to the fine bucket for every window; groups are exact to the fine
bucket for windows up to 24 h and exact to the hour at the old edge of 7d and 30d. Cells are
lists of SLOT_COUNT integers, except the totals of fine buckets past the group retention (one a
minute for 30 days): those are `aged` (AgedTotals: one array an hour), and what `add` gives them
is summed per bucket until something reads them. Only what changed since the last
`drain_changes` is handed out, so a checkpoint writes the buckets touched, not the whole state;
its rows are the same whichever way a bucket is held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from operator import add
from typing import Any

from .aged_totals import AgedTotals
from .catalog import SLOT_BITS, SLOT_COUNT, SLOT_MASK
from .labels import TOTAL

FINE, COARSE = "f", "c"


def new_cell() -> list:
    return [0] * SLOT_COUNT


def _accumulate(into: dict, group: str | None, cell: list) -> None:
    total = into.get(group)
    if total is None:
        into[group] = cell.copy()
    else:
        total[:] = map(add, total, cell)


def _loaded_cell(values: list) -> list:
    cell = [int(value) for value in values]
    return cell + [0] * (SLOT_COUNT - len(cell))


class BucketStore:
    """Fine and coarse buckets: {index: {cell key: [slot values]}}."""

    __slots__ = ("bucket_ms", "ratio", "retention_buckets", "group_retention_buckets", "fine", "coarse",
                 "aged", "floor", "group_floor", "_dirty_fine", "_dirty_coarse", "_removed", "_aged_pending")

    def __init__(self, bucket_s: int, coarse_bucket_s: int, retention_s: int, group_retention_s: int) -> None:
        self.bucket_ms = bucket_s * 1000
        self.ratio = coarse_bucket_s // bucket_s
        self.retention_buckets = retention_s // bucket_s
        self.group_retention_buckets = -(-group_retention_s // bucket_s)
        self.fine: dict[int, dict[str, list]] = {}
        self.coarse: dict[int, dict[str, list]] = {}
        self.aged = AgedTotals(self.ratio)  # the total cells of the fine buckets below group_floor
        self.floor = -(2**62)  # fine buckets below this are outside every window
        self.group_floor = -(2**62)  # fine buckets below this keep totals only; aligned to coarse
        self._dirty_fine: set[int] = set()
        self._dirty_coarse: set[int] = set()
        self._removed: set[str] = set()
        # what `add` adds to aged fine totals, summed over the calls until _settle hands it to
        # `aged` (one pass over a cell per bucket and checkpoint, not per order): {index: cell}
        self._aged_pending: dict[int, list] = {}

    # --- writing -------------------------------------------------------------------------
    def add(self, keys: tuple[str, ...], contribution: Mapping[int, int], sign: int = 1) -> None:
        """Add (sign=1) or retract (sign=-1) a contribution {(bucket << SLOT_BITS) | slot: value}
        under the cell keys `keys` (keys[0] is the total)."""
        cells_of = self._cells_of
        floor = self.floor
        last = None
        skip = False
        cells: list = []
        seven = len(keys) == 6
        c0 = c1 = c2 = c3 = c4 = c5 = c6 = cells
        for packed, value in contribution.items():
            index = packed >> SLOT_BITS
            if index != last:
                last = index
                skip = index < floor
                if skip:
                    continue
                cells = cells_of(index, keys)
                if seven:
                    c0, c1, c2, c3, c4, c5, c6 = cells
            elif skip:
                continue
            slot = packed & SLOT_MASK
            if sign < 0:
                value = -value
            if seven:
                c0[slot] += value
                c1[slot] += value
                c2[slot] += value
                c3[slot] += value
                c4[slot] += value
                c5[slot] += value
                c6[slot] += value
            else:
                for cell in cells:
                    cell[slot] += value

    def _cells_of(self, index: int, keys: tuple[str, ...]) -> list:
        """The cells a contribution to fine bucket `index` under `keys` adds to, created as needed
        and marked changed: recent buckets have every group cell fine and the total coarse, aged
        ones the reverse (their fine total is a cell of what awaits the aged totals)."""
        coarse_index = index // self.ratio
        coarse_bucket = self.coarse.get(coarse_index)
        if coarse_bucket is None:
            coarse_bucket = self.coarse[coarse_index] = {}
        self._dirty_fine.add(index)
        self._dirty_coarse.add(coarse_index)
        if index >= self.group_floor:
            many = self.fine.get(index)
            if many is None:
                many = self.fine[index] = {}
            total = coarse_bucket.get(TOTAL)
            if total is None:
                total = coarse_bucket[TOTAL] = [0] * SLOT_COUNT
        else:
            many = coarse_bucket
            total = self._aged_pending.get(index)
            if total is None:
                total = self._aged_pending[index] = [0] * SLOT_COUNT
        cells = []
        for key in keys:
            cell = many.get(key)
            if cell is None:
                cell = many[key] = [0] * SLOT_COUNT
            cells.append(cell)
        cells.append(total)
        return cells

    def _settle(self) -> None:
        """Hand the aged totals what awaits them (before anything reads them or moves a floor)."""
        for index, cell in self._aged_pending.items():
            self.aged.add_cell(index, cell)
        self._aged_pending.clear()

    def move(self, old_keys: tuple[str, ...], new_keys: tuple[str, ...], contribution: Mapping[int, int]) -> None:
        """Move a contribution from the cells of `old_keys` to those of `new_keys` (same length,
        same total): only the group cells that differ are touched."""
        changed = [(old, new) for old, new in zip(old_keys, new_keys, strict=True) if old != new]
        if not changed:
            return
        fine, coarse, ratio = self.fine, self.coarse, self.ratio
        floor, group_floor = self.floor, self.group_floor
        last = None
        pairs: list = []
        for packed, value in contribution.items():
            index = packed >> SLOT_BITS
            if index < floor or not value:
                continue
            if index != last:
                last = index
                if index >= group_floor:
                    bucket = fine.setdefault(index, {})
                    self._dirty_fine.add(index)
                else:
                    bucket = coarse.setdefault(index // ratio, {})
                    self._dirty_coarse.add(index // ratio)
                pairs = []
                for old, new in changed:
                    source = bucket.get(old)
                    if source is None:
                        source = bucket[old] = [0] * SLOT_COUNT
                    target = bucket.get(new)
                    if target is None:
                        target = bucket[new] = [0] * SLOT_COUNT
                    pairs.append((source, target))
            slot = packed & SLOT_MASK
            for source, target in pairs:
                source[slot] -= value
                target[slot] += value

    def advance(self, clock_ms: int) -> None:
        """Drop buckets that left the longest window; fold aged group cells into coarse buckets."""
        self._settle()
        now_index = clock_ms // self.bucket_ms
        floor = now_index - self.retention_buckets + 1
        group_floor = ((now_index - self.group_retention_buckets) // self.ratio) * self.ratio
        if group_floor > self.group_floor:
            self._fold_groups(self.group_floor, group_floor)
            self.group_floor = group_floor
        if floor > self.floor:
            self.floor = floor
            for index in [i for i in self.fine if i < floor]:
                del self.fine[index]
                self._dirty_fine.discard(index)
                self._removed.add(f"{FINE}{index}")
            for index in self.aged.drop_below(floor):
                self._dirty_fine.discard(index)
                self._removed.add(f"{FINE}{index}")
            coarse_floor = floor // self.ratio  # a coarse bucket goes once wholly below the floor
            for index in [i for i in self.coarse if i < coarse_floor]:
                del self.coarse[index]
                self._dirty_coarse.discard(index)
                self._removed.add(f"{COARSE}{index}")

    def _fold_groups(self, old_floor: int, new_floor: int) -> None:
        if new_floor - old_floor < len(self.fine):
            candidates: Iterable[int] = (i for i in range(old_floor, new_floor) if i in self.fine)
        else:
            candidates = [i for i in self.fine if old_floor <= i < new_floor]
        for index in list(candidates):
            bucket = self.fine.pop(index)
            self.aged.add_cell(index, bucket.pop(TOTAL, ()))
            group_keys = list(bucket)
            if not group_keys:
                continue
            coarse_index = index // self.ratio
            coarse_bucket = self.coarse.setdefault(coarse_index, {})
            for key in group_keys:
                cell = bucket.pop(key)
                target = coarse_bucket.get(key)
                if target is None:
                    coarse_bucket[key] = cell
                else:
                    target[:] = map(add, target, cell)
            self._dirty_fine.add(index)
            self._dirty_coarse.add(coarse_index)

    # --- reading -------------------------------------------------------------------------
    def window_sums(self, lo: int, hi: int, by: str | None = None) -> dict[str | None, list]:
        """Sum of cells over fine buckets lo..hi (inclusive): {None: total} or {group value: cell}."""
        self._settle()
        out: dict[str | None, list] = {}
        ratio = self.ratio
        coarse_lo = -(-lo // ratio)
        coarse_hi = (hi + 1) // ratio - 1
        if by is None:
            if coarse_lo <= coarse_hi:
                fine_ranges = [(lo, coarse_lo * ratio - 1), ((coarse_hi + 1) * ratio, hi)]
                for index in range(coarse_lo, coarse_hi + 1):
                    cell = self.coarse.get(index, {}).get(TOTAL)
                    if cell is not None:
                        _accumulate(out, None, cell)
            else:
                fine_ranges = [(lo, hi)]
            for first, last in fine_ranges:
                for index in range(first, last + 1):
                    bucket = self.fine.get(index)
                    cell = bucket.get(TOTAL) if bucket is not None else self.aged.cell(index)
                    if cell is not None:
                        _accumulate(out, None, cell)
            return out
        prefix = by + "="
        cut = len(prefix)
        for index in range(max(lo, self.group_floor), hi + 1):
            for key, cell in self.fine.get(index, {}).items():
                if key.startswith(prefix):
                    _accumulate(out, key[cut:], cell)
        for index in range(coarse_lo, min(coarse_hi, self.group_floor // ratio - 1) + 1):
            for key, cell in self.coarse.get(index, {}).items():
                if key.startswith(prefix):
                    _accumulate(out, key[cut:], cell)
        return out

    # --- checkpoints -----------------------------------------------------------------------
    def drain_changes(self, serialize: Callable[[Any], Any] | None = None) -> tuple[dict[str, Any], list[str]]:
        """Buckets changed and removed since the last call: {"f<index>"|"c<index>": {key: cell
        as a list}}, each row passed through `serialize` when given."""
        self._settle()
        changed: dict[str, Any] = {}
        for prefix, buckets, dirty in ((FINE, self.fine, self._dirty_fine), (COARSE, self.coarse, self._dirty_coarse)):
            for index in dirty:
                bucket = buckets.get(index)
                if bucket is not None:
                    row = {key: cell.copy() for key, cell in bucket.items()}
                else:  # a fine bucket below group_floor: its total alone
                    row = {TOTAL: self.aged.cell(index)}
                changed[f"{prefix}{index}"] = row if serialize is None else serialize(row)
        removed = sorted(self._removed - changed.keys())
        self._dirty_fine, self._dirty_coarse, self._removed = set(), set(), set()
        return changed, removed

    def load(self, rows: Mapping[str, Mapping[str, list]]) -> None:
        """Load checkpoint rows (as written by drain_changes) into this store."""
        self._settle()
        for name, cells in rows.items():
            kind, index = name[0], int(name[1:])
            target = self.fine if kind == FINE else self.coarse
            target[index] = {key: _loaded_cell(cell) for key, cell in cells.items()}

    def cell_keys(self) -> set[str]:
        keys: set[str] = set()
        for buckets in (self.fine, self.coarse):
            for bucket in buckets.values():
                keys.update(bucket)
        keys.discard(TOTAL)
        return keys
