"""The checkpoint deltas of a stream's partitions, each taken (the engine advanced, its delta
drained) when the store first reads it, in partition order.

Why: at the end of a replay the clock jump reconciles and settles every order (~1 s of CPU for
20,000, PostgreSQL idle), and then PostgreSQL inserts their settled rows (~1 s, kpi-svc mostly
waiting). Taken as the store reads them, partition p+1 is reconciled while PostgreSQL still
inserts the rows of partition p that asyncpg has sent (docs/kpi-decisions.md, `kpireplay5`).

A store must read every delta before it writes the offsets (CheckpointStore.save reads them
all in its first statement): offsets written without their partition's state would skip
records after a restore. KpiStream checks that every delta was taken after a save."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from kpi_svc.domain import CheckpointDelta


class PendingDeltas(Mapping):
    """partition -> CheckpointDelta, each computed by its `take` on first read, then kept."""

    __slots__ = ("_takes", "_taken")

    def __init__(self, takes: dict[int, Callable[[], CheckpointDelta]]) -> None:
        self._takes = takes
        self._taken: dict[int, CheckpointDelta] = {}

    def __getitem__(self, partition: int) -> CheckpointDelta:
        delta = self._taken.get(partition)
        if delta is None:
            delta = self._taken[partition] = self._takes[partition]()
        return delta

    def __iter__(self) -> Iterator[int]:
        return iter(self._takes)

    def __len__(self) -> int:
        return len(self._takes)

    def __contains__(self, partition: object) -> bool:  # without taking (Mapping's would)
        return partition in self._takes

    def taken(self) -> dict[int, CheckpointDelta]:
        """The deltas read so far (the others' changes are still in their engines)."""
        return dict(self._taken)

    def all_taken(self) -> bool:
        return len(self._taken) == len(self._takes)
