"""Running a service as its own process in a test: `uvicorn <package>.main:app` with its settings
in `ORDERPULSE_*` variables, as the stack starts it (needed where a real browser must reach it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from orderpulse.testing.infrastructure import Infrastructure
from orderpulse.testing.polling import eventually_sync
from orderpulse.testing.service import TEST_API_KEYS, TEST_SIGNING_SECRETS


def service_environment(infrastructure: Infrastructure, **settings: object) -> dict[str, str]:
    """A service's settings as the stack passes them: `ORDERPULSE_*` variables (dicts as JSON)."""
    values: dict[str, object] = {
        "environment": "test",
        "database_url": infrastructure.database_url,
        "kafka_bootstrap": infrastructure.kafka_bootstrap,
        "kafka_enable_idempotence": str(infrastructure.kafka_enable_idempotence).lower(),
        "api_keys": TEST_API_KEYS,
        "signing_secrets": TEST_SIGNING_SECRETS,
        "consumer_session_timeout_ms": "2000",
        "consumer_heartbeat_interval_ms": "200",
        "outbox_poll_interval_s": "0.2",
        "log_level": "WARNING",
        **settings,
    }
    encoded = {f"ORDERPULSE_{name.upper()}": value if isinstance(value, str) else json.dumps(value) for name, value in values.items()}
    return {**os.environ, **encoded}


@dataclass(frozen=True)
class Served:
    url: str
    process: subprocess.Popen

    def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown runs."""
        self.process.kill()
        self.process.wait()


@contextmanager
def serving(app: str, port: int, env: Mapping[str, str], *, ready_within_s: float = 60.0) -> Iterator[Served]:
    """`uvicorn <app>` on 127.0.0.1:`port` until the block ends (SIGTERM); yields it once `/readyz` is 200."""
    base_url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)],
        env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"{app} exited: {process.stderr.read() if process.stderr else ''}")
            try:
                return httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        eventually_sync(ready, timeout_s=ready_within_s, what=f"{app} ready")
        yield Served(base_url, process)
    finally:
        if process.poll() is None:
            process.terminate()  # SIGTERM: uvicorn drains and runs the lifespan's shutdown
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
