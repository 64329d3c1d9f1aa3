"""Running a service as its own process in a test: `uvicorn <package>.main:app` with its settings
in `ORDERPULSE_*` variables, as the stack starts it (needed where a real browser must reach it)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from orderpulse.testing.polling import eventually_sync


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
