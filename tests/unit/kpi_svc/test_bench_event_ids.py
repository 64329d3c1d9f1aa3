"""The kpi benchmarks' synthetic events carry ids in the producers' form at any volume.

kpi-svc packs canonical UUIDs (16 bytes an id) and holds any other id as a string, so a bench
whose ids left the canonical form after 65,535 events measured the memory and CPU of a case
producers never create (every replay and memory figure before 2026-12-07)."""

from pathlib import Path

from kpi_svc.domain.event_ids import uuid_key
from orderpulse.testing.bench_scripts import load_bench_script

BENCH = Path(__file__).resolve().parents[3] / "bench"


def test_synthetic_event_ids_stay_canonical_and_unique_past_every_hex_width():
    ids = load_bench_script(BENCH, "kpi_engine_bench")._Ids()
    made = []
    for start in (0, 0xFFFF - 2, 30_000_000, 2**48 - 2, 2**52):
        ids.n = start
        made += [ids() for _ in range(5)]
    assert all(uuid_key(event_id) is not None for event_id in made), [i for i in made if uuid_key(i) is None]
    assert len(set(made)) == len(made)


def test_the_memory_benchmarks_chunks_hold_every_id_packed():
    topics = load_bench_script(BENCH, "kpi_engine_bench").synthetic_topics(50, first=300_000)  # the last chunk of a 300,000-order run
    events = [event for pairs in topics.values() for _, event in pairs]
    assert events and all(uuid_key(event["id"]) is not None for event in events)
