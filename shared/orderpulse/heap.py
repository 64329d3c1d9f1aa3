"""The garbage collector's settings for a long-running service process, called once from its `main.py`,
and the pause the consumer holds over each batch."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_startup_heap() -> None:
    """Keep what start-up built (modules, the app, its models and schemas: ~10^5 objects) out of
    the garbage collector's full passes, which otherwise walk all of it every second or so under
    load and stop the event loop for 0.2 s each time (docs/benchmarks.md, order entry). Call once,
    from `main.py`, after the app is built: the garbage is collected first, and what survives is
    never freed, which is what start-up objects are for anyway."""
    gc.collect()
    gc.freeze()


YOUNG_COLLECTION_THRESHOLD = 10_000


def collect_young_objects_less_often(threshold: int = YOUNG_COLLECTION_THRESHOLD) -> None:
    """Run the garbage collector's youngest pass after `threshold` more container objects instead
    of CPython's 700. A consumer batch holds its records, envelopes and domain objects (tens of
    thousands) until it commits: at 700 every young pass walks the batch's survivors and every
    tenth one the middle generation they were moved to, ~10 % of order-svc's consumer CPU
    (docs/benchmarks.md). At 10,000 most of a batch is freed by reference counting before a pass
    sees it. Memory stays bounded: at most `threshold` objects more wait for a pass, and the
    older generations keep their settings (a pass over 10,000 objects takes a few milliseconds).
    Call once, from `main.py`, beside `freeze_startup_heap`."""
    young, middle, oldest = gc.get_threshold()
    gc.set_threshold(max(young, threshold), middle, oldest)


_pausing = 0  # how many `collections_paused` blocks are open (consumers of one process overlap)


@contextmanager
def collections_paused() -> Iterator[None]:
    """No garbage collector pass inside the block; the passes resume after it, on CPython's own
    thresholds. The consumer runs each batch in one: a batch holds its records, envelopes,
    validated data and domain objects (tens of thousands of containers) until it commits, and
    every pass inside it walks them and moves them to an older generation, whose passes walk
    them again — ~9 µs an event of notify-svc's and feedback-svc's ~60 at CPython's 700
    (docs/benchmarks.md, `conshead`). After the block reference counting has freed the batch,
    so the next pass walks only what outlived it (and the batch's reference cycles, which wait
    for it: memory stays bounded by one batch). Blocks may overlap (several consumers, other
    tasks of the event loop meanwhile); the collector is switched back on when the last one
    ends. One switched off by someone else is left off."""
    global _pausing
    if not _pausing and not gc.isenabled():
        yield
        return
    _pausing += 1
    gc.disable()
    try:
        yield
    finally:
        _pausing -= 1
        if not _pausing:
            gc.enable()
