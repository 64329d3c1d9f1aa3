"""Running a service as its own process in a test: `uvicorn <package>.main:app` with its settings
in `ORDERPULSE_*` variables, as the stack starts it (needed where a real browser must reach it)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx

from orderpulse.testing.polling import eventually_sync


@contextmanager
def serving(app: str, port: int, env: Mapping[str, str], *, ready_within_s: float = 60.0) -> Iterator[str]:
    """`uvicorn <app>` on 127.0.0.1:`port` until the block ends; yields its base URL once `/readyz` is 200."""
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
        yield base_url
    finally:
        process.terminate()  # SIGTERM: uvicorn drains and runs the lifespan's shutdown
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
