"""kill -9 of kpi-svc (a real process, no graceful stop) at random points while it consumes, then a
restart: the figures equal an offline recomputation of everything published."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys

import httpx
from kpi_stories import all_events, stories
from orderpulse.stack.processes import free_port
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import TEST_API_KEYS, auth
from test_kpi_stream import WINDOWS, expected, figures  # noqa: I001

KILLS = 10  # quality.md: at least 10 kills


def environment(settings) -> dict[str, str]:
    fields = (
        "environment", "database_url", "kafka_bootstrap", "kafka_enable_idempotence", "topic_prefix", "consumer_group",
        "checkpoint_interval_s", "consumer_session_timeout_ms", "consumer_heartbeat_interval_ms", "stream_retry_max_s",
    )
    env = {f"ORDERPULSE_{name.upper()}": str(getattr(settings, name)) for name in fields}
    env["ORDERPULSE_API_KEYS"] = json.dumps(TEST_API_KEYS)
    env["ORDERPULSE_LOG_LEVEL"] = "WARNING"
    return {**os.environ, **env}


def start(settings, port: int, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "kpi_svc.main:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=environment(settings), stdout=log, stderr=subprocess.STDOUT,
    )


async def test_kill_9_at_random_points_of_the_stream_then_the_figures_are_exact(settings, publish, tmp_path):
    rng = random.Random(11)
    told: dict[str, list[dict]] = {}
    for copy in range(8):
        told.update(stories(f"k{copy}"))
    events = all_events(told)
    rng.shuffle(events)
    chunks = [events[i :: KILLS + 1] for i in range(KILLS + 1)]
    port = free_port()
    published: list[dict] = []
    with open(tmp_path / "kpi-svc.log", "wb") as log:
        for chunk in chunks[:KILLS]:
            process = start(settings, port, log)
            try:
                await asyncio.sleep(rng.uniform(0.5, 4.0))  # starting, joining, restoring or consuming
                await publish(chunk)
                published += chunk
                await asyncio.sleep(rng.uniform(0.0, 1.5))
            finally:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
        await publish(chunks[KILLS])
        published += chunks[KILLS]
        process = start(settings, port, log)
        try:
            wanted = expected(settings, published)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:

                async def exact():
                    try:
                        got = {}
                        for window in WINDOWS:
                            response = await client.get("/v1/kpis", params={"window": window}, headers=auth("support"))
                            got[window] = figures(response.json())
                    except (httpx.HTTPError, ValueError, KeyError):
                        return None
                    return got == wanted

                await eventually(exact, timeout_s=90)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    assert len(published) == len(events)
