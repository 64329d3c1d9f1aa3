"""The garbage collector's full passes, deferred while a stream catches up a backlog.

A replay grows the engines' state by ~10^6 objects (facts, contributions, bucket cells), and
CPython's collector runs a full pass each time the objects that survived into the oldest
generation grew by a quarter: each pass walks all of the state. Measured on the replay's
engine work (12 engines, 20,000 orders, docs/benchmarks.md "kpi-svc engine", 2026-12-07):
seven full passes took 3.4 s of 13.4 s of CPU; deferred, the work took 9.3 s. The engine state
has no reference cycles (refcounting frees it); the garbage a pass would find is the event
loop's and the Kafka client's, a few cycles a second, and the first full pass after catching
up (the thresholds are restored then) collects it.

The thresholds are the process's: a holder (each stream) defers them, and they come back when
the last holder resumes them.
"""

from __future__ import annotations

import gc

DEFERRED_THRESHOLD = 1000  # younger-generation passes between full ones (CPython's default: 10)

_holders: set[int] = set()
_restore: tuple[int, ...] | None = None


def defer(holder: object) -> None:
    """No full pass (past DEFERRED_THRESHOLD) until every holder resumed them."""
    global _restore
    if not _holders:
        _restore = young, middle, oldest = gc.get_threshold()
        gc.set_threshold(young, middle, max(DEFERRED_THRESHOLD, oldest))
    _holders.add(id(holder))


def resume(holder: object) -> None:
    """Back to the thresholds found by the first holder, once the last one resumed them."""
    global _restore
    if id(holder) not in _holders:
        return
    _holders.discard(id(holder))
    if not _holders and _restore is not None:
        gc.set_threshold(*_restore)
        _restore = None


def deferred() -> bool:
    return bool(_holders)
