"""orderpulse.memory: free heap pages between live chunks go back to the system (glibc)."""

import os

from orderpulse.memory import release_free_heap

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def test_freed_chunks_between_live_ones_leave_the_resident_set():
    # ~60 MB of 3 KB chunks (malloc, not pymalloc) in runs of 50, each run followed by a small
    # live chunk that pins the heap above it, as compressed orders frozen between two checkpoints
    # pin it above the freed encoded orders of a checkpoint delta
    garbage, pinned = [], []
    for n in range(20_000):
        garbage.append(bytes(3000 + n % 7))
        if n % 50 == 49:
            pinned.append(bytes(600 + n % 5))
    garbage.clear()
    before = resident()
    assert release_free_heap()
    assert resident() < before - 30_000_000
    assert len(pinned) == 400
