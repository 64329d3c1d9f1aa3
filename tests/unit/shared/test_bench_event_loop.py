"""The benchmarks run the service code they measure in-process (consumers, kpi-svc's stream, the
relay) on the event loop that service runs on (`orderpulse.event_loop.SERVICE_LOOPS`, which every
launch path passes to uvicorn; tests/deploy/test_event_loops.py), and platform code of no one
service on uvloop: what uvicorn's `--loop auto` picks when it is installed (uvicorn's [standard]
extras, a dependency of `shared/`). `--loop` picks either loop to compare them (docs/benchmarks.md,
branch `loopchoice`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from orderpulse.testing.bench_scripts import load_bench_script
from uvicorn.loops.auto import auto_loop_factory

BENCH = Path(__file__).resolve().parents[3] / "bench"


async def running_loop_type() -> type:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop())


def the_services_loop_type() -> type:
    loop = auto_loop_factory()()
    try:
        return type(loop)
    finally:
        loop.close()


def test_platform_code_runs_on_the_loop_uvicorn_picks_by_default():
    harness = load_bench_script(BENCH, "_harness")
    services_loop = the_services_loop_type()
    assert services_loop.__module__.startswith("uvloop"), "uvicorn would run the services on another loop"
    assert harness.run_on_loop(running_loop_type()) is services_loop


def test_the_standard_librarys_loop_stays_selectable_for_comparisons_with_older_figures():
    harness = load_bench_script(BENCH, "_harness")
    assert harness.run_on_loop(running_loop_type(), "asyncio") is not the_services_loop_type()
    assert harness.run_on_loop(running_loop_type(), "asyncio").__module__.startswith("asyncio")
    assert set(harness.LOOPS) == {"uvloop", "asyncio"}
