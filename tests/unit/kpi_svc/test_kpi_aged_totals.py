"""Totals of fine buckets older than the group retention, kept as one array per hour
(AgedTotals): the sums stay exact whatever their size, buckets leave the longest window as
before, and the bucket store reads, checkpoints and restores them as it did when each minute
was a dict of its own (checkpoint rows unchanged: `f<index>` -> {"*": cell})."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_svc.domain import KpiEngine, KpiRules
from kpi_svc.domain.aged_totals import AgedTotals
from kpi_svc.domain.buckets import BucketStore
from kpi_svc.domain.catalog import SLOT_BITS, SLOT_COUNT

MINUTE_MS = 60_000
GROUP_RETENTION_MINUTES = 25 * 60
RETENTION_MINUTES = 30 * 24 * 60
KEYS = [("*", "carrier=dhl", "tier=vip"), ("*", "carrier=ups", "tier=vip"), ("*", "carrier=dhl", "tier=standard")]


def cell(**slots: int) -> list[int]:
    values = [0] * SLOT_COUNT
    for name, value in slots.items():
        values[int(name[1:])] = value
    return values


def test_a_total_beyond_32_and_64_bits_stays_exact():
    aged = AgedTotals(60)
    aged.add_cell(125, cell(s0=1, s1=2))
    aged.add_cell(125, cell(s0=2**40))
    assert aged.cell(125)[:2] == [2**40 + 1, 2]
    aged.add_cell(126, cell(s3=-(2**70)))
    assert aged.cell(126)[3] == -(2**70)
    assert aged.cell(125)[:2] == [2**40 + 1, 2]
    assert aged.cell(124) is None and 124 not in aged and 125 in aged


def test_dropping_below_a_floor_forgets_those_minutes_and_names_the_ones_that_were_present():
    aged = AgedTotals(60)
    for index in (-5, 0, 59, 60, 61, 130):
        aged.add_cell(index, cell(s0=index + 1000))
    assert aged.drop_below(61) == [-5, 0, 59, 60]
    assert aged.cell(60) is None and aged.cell(61)[0] == 1061 and aged.cell(130)[0] == 1130
    aged.add_cell(60, cell(s1=1))  # a minute added again after it was dropped starts from zero
    assert aged.cell(60) == cell(s1=1)
    assert aged.drop_below(10**6) == [60, 61, 130]
    assert not aged


def window_totals(store: BucketStore, lo: int, hi: int) -> list[int]:
    return store.window_sums(lo, hi).get(None, [0] * SLOT_COUNT)


def plain_sum(added: list[tuple[int, int, int]], lo: int, hi: int) -> list[int]:
    expected = [0] * SLOT_COUNT
    for index, slot, value in added:
        if lo <= index <= hi:
            expected[slot] += value
    return expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(
            st.integers(0, 3 * 24 * 60),  # minutes the clock moves forward
            st.lists(st.tuples(st.integers(-40 * 24 * 60, 60) | st.integers(-30 * 60, -24 * 60), st.integers(0, SLOT_COUNT - 1),
                               st.integers(-(2**66), 2**66) | st.integers(-5, 5)), max_size=6),
            st.sampled_from(KEYS),
            st.sampled_from([1, -1]),
        ),
        min_size=1, max_size=25,
    )
)
def test_totals_match_a_plain_sum_of_what_was_added_and_survive_a_checkpoint(steps):
    """Each step moves the clock, then adds entries at minutes around it (old ones too);
    every window's total equals the plain sum of the entries inside it and the longest window,
    and a store loaded from the rows drained so far reads the same."""
    store = BucketStore(60, 3600, RETENTION_MINUTES * 60, GROUP_RETENTION_MINUTES * 60)
    rows: dict[str, dict] = {}  # the checkpoint table: drained rows, removed names deleted
    added: list[tuple[int, int, int]] = []
    now = 29_000_000
    for forward, entries, keys, sign in steps:
        now += forward
        store.advance(now * MINUTE_MS)
        contribution: dict[int, int] = {}
        for offset, slot, value in entries:
            index = now + offset
            contribution[(index << SLOT_BITS) | slot] = contribution.get((index << SLOT_BITS) | slot, 0) + value
        store.add(keys, contribution, sign)
        floor = now - RETENTION_MINUTES + 1
        added += [(packed >> SLOT_BITS, packed & (2**SLOT_BITS - 1), sign * value)
                  for packed, value in contribution.items() if packed >> SLOT_BITS >= floor]
        # read before the changes are drained; its edges fall inside aged hours
        aged_window = (now - 60 * 29 - 17, now - 60 * 26 - 7)
        assert window_totals(store, *aged_window) == plain_sum(added, *aged_window)
        changed, removed = store.drain_changes()
        for name in removed:
            rows.pop(name, None)
        rows.update(changed)
    floor = now - RETENTION_MINUTES + 1
    restored = BucketStore(60, 3600, RETENTION_MINUTES * 60, GROUP_RETENTION_MINUTES * 60)
    restored.load(rows)
    restored.advance(now * MINUTE_MS)
    for lo, hi in ((floor, now), (now - 24 * 60 + 1, now), (now - 7 * 24 * 60 + 1, now), (now - 60 * 29 - 17, now - 60 * 26 - 7), (now - 60 * 26, now - 60 * 25 - 7)):
        expected = plain_sum(added, max(lo, floor), hi)
        assert window_totals(store, lo, hi) == expected
        assert window_totals(restored, lo, hi) == expected
        assert restored.window_sums(lo, hi, by="carrier") == store.window_sums(lo, hi, by="carrier")


def test_the_aged_rows_of_a_checkpoint_written_before_restore_into_the_aged_totals_unchanged():
    fixture = json.loads((Path(__file__).parent / "data" / "checkpoint_v1.json").read_text())
    stored = fixture["checkpoint"]
    engine = KpiEngine.restore(KpiRules(), stored["orders"], stored["buckets"], stored["meta"])
    now_minute = int(datetime.fromisoformat(fixture["now"]).timestamp()) // 60
    aged_rows = {int(name[1:]): row for name, row in stored["buckets"].items()
                 if name[0] == "f" and int(name[1:]) < now_minute - GROUP_RETENTION_MINUTES - 60}
    assert aged_rows and all(list(row) == ["*"] for row in aged_rows.values())
    for index, row in aged_rows.items():
        assert index not in engine.buckets.fine
        assert engine.buckets.aged.cell(index) == row["*"] + [0] * (SLOT_COUNT - len(row["*"]))
