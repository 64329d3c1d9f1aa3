"""Total cells of the fine buckets older than the group retention, one dense array per hour.

Past the group retention (25 h) a fine bucket keeps only its total cell, for the rest of the
longest window (30 d: ~41,000 minutes). As {index: {"*": [SLOT_COUNT ints]}} each of those
minutes cost a dict, a list and an int object per value above 256 (~0.9 KB); here the minutes
of one coarse bucket share one array of ratio x SLOT_COUNT slots (no objects) and a bit mask of
the minutes present (those a checkpoint holds a row for, so that their rows are written and
deleted as before). The array holds 32-bit ints (the slots are counts and sums of a minute's
orders: 168 bytes a minute); a value beyond 32 bits widens that coarse bucket's array to 64 bits,
one beyond 64 bits turns it into a list of ints: exact either way.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

from .catalog import SLOT_COUNT


class AgedTotals:
    """{coarse index: ratio x SLOT_COUNT totals}; minute m of coarse bucket c is fine bucket
    c * ratio + m."""

    __slots__ = ("ratio", "rows", "present")

    def __init__(self, ratio: int) -> None:
        self.ratio = ratio
        self.rows: dict[int, array | list] = {}
        self.present: dict[int, int] = {}  # coarse index -> bit mask of the minutes present

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __contains__(self, index: int) -> bool:
        coarse_index, minute = divmod(index, self.ratio)
        return bool(self.present.get(coarse_index, 0) >> minute & 1)

    def add_cell(self, index: int, cell: Iterable[int]) -> None:
        """Add a total cell (SLOT_COUNT values) to fine bucket `index`, which is then present."""
        coarse_index, minute = divmod(index, self.ratio)
        row = self.rows.get(coarse_index)
        if row is None:
            row = self.rows[coarse_index] = array("i", bytes(4 * self.ratio * SLOT_COUNT))
        base = minute * SLOT_COUNT
        for slot, value in enumerate(cell):
            if value:
                while True:
                    try:
                        row[base + slot] += value
                        break
                    except OverflowError:
                        row = self.rows[coarse_index] = _wider(row)
        self.present[coarse_index] = self.present.get(coarse_index, 0) | 1 << minute

    def cell(self, index: int) -> list | None:
        """The total cell of fine bucket `index` as a list, None when it is not present."""
        coarse_index, minute = divmod(index, self.ratio)
        if not self.present.get(coarse_index, 0) >> minute & 1:
            return None
        base = minute * SLOT_COUNT
        return list(self.rows[coarse_index][base : base + SLOT_COUNT])

    def drop_below(self, floor: int) -> list[int]:
        """Forget the fine buckets below `floor`; returns the indexes of those that were present."""
        ratio, dropped = self.ratio, []
        for coarse_index in [c for c in self.rows if c * ratio < floor]:
            first = coarse_index * ratio
            mask = self.present[coarse_index]
            cut = min(floor - first, ratio)  # minutes 0..cut-1 go
            gone = mask & ((1 << cut) - 1)
            dropped += [first + minute for minute in range(cut) if gone >> minute & 1]
            if cut == ratio or not mask & ~gone:
                del self.rows[coarse_index], self.present[coarse_index]
            else:
                row, size = self.rows[coarse_index], cut * SLOT_COUNT
                row[:size] = array(row.typecode, bytes(row.itemsize * size)) if type(row) is array else [0] * size
                self.present[coarse_index] = mask & ~gone
        return dropped


def _wider(row: array) -> array | list:
    """The same values with room for larger ones: 32-bit ints -> 64-bit ints -> Python ints."""
    return array("q", row) if row.typecode == "i" else row.tolist()
