import asyncio
from datetime import UTC, datetime, timedelta

from orderpulse.scheduling import DueWorkLoop


async def wait_for(condition, timeout_s=3.0):
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_the_loop_runs_at_start_and_again_when_nudged():
    calls = []

    async def run_due(now):
        calls.append(now)
        return None  # nothing due: sleep the maximum unless nudged

    loop = DueWorkLoop("timers", run_due, max_sleep_s=60)
    task = asyncio.create_task(loop.run())
    await wait_for(lambda: len(calls) == 1)
    loop.nudge()
    await wait_for(lambda: len(calls) == 2)
    loop.stop()
    await asyncio.wait_for(task, 1)


async def test_the_loop_wakes_at_the_next_due_time_it_was_told():
    calls = []

    async def run_due(now):
        calls.append(now)
        return datetime.now(UTC) + timedelta(milliseconds=50)

    loop = DueWorkLoop("timers", run_due, max_sleep_s=60)
    task = asyncio.create_task(loop.run())
    await wait_for(lambda: len(calls) >= 3, timeout_s=2)
    loop.stop()
    await asyncio.wait_for(task, 1)


async def test_a_failing_run_makes_the_loop_unhealthy_until_one_succeeds():
    outcomes = [RuntimeError("database away"), RuntimeError("still away"), None]
    healthy_seen = []

    async def run_due(now):
        outcome = outcomes.pop(0) if outcomes else None
        healthy_seen.append(loop.healthy)
        if outcome:
            raise outcome
        return None

    loop = DueWorkLoop("timers", run_due, max_sleep_s=60, max_backoff_s=0.05)
    task = asyncio.create_task(loop.run())
    await wait_for(lambda: not outcomes and loop.healthy and len(healthy_seen) >= 3)
    assert healthy_seen[:3] == [True, False, False]
    assert loop.last_error is None
    loop.stop()
    await asyncio.wait_for(task, 1)
