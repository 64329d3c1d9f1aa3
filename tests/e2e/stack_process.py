"""Running the `orderpulse` command as a user does, in a private state folder on free ports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from orderpulse.services import installed_services
from orderpulse.stack.processes import free_port


def stack_env(state_dir: Path, **extra: str) -> dict[str, str]:
    ports = {manifest.name: free_port() for manifest in installed_services()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERPULSE_")}
    env.update(
        ORDERPULSE_STATE_DIR=str(state_dir),
        ORDERPULSE_POSTGRES_PORT=str(free_port()),
        ORDERPULSE_KAFKA_PORT=str(free_port()),
        ORDERPULSE_SERVICE_PORTS=json.dumps(ports),
        ORDERPULSE_MAIL_SMTP_PORT=str(free_port()),
        ORDERPULSE_MAIL_HTTP_PORT=str(free_port()),
        ORDERPULSE_DURABLE_POSTGRES="false",
        # a parcel's message waits out notify-svc's digest window (120 s by default) before it is
        # sent, and a simulated run reads back what was sent once nothing more is coming: 20 s keeps
        # the digest at work (parcels of one order do share messages) and the tests short
        ORDERPULSE_DIGEST_WINDOW_S="20",
    )
    env.update(extra)
    return env


def orderpulse(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "orderpulse.cli", *command], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def wait_for(path: Path, process: subprocess.Popen, timeout_s: float = 150) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"`orderpulse` exited early:\n{process.stdout.read()}")
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.2)


def interrupt(process: subprocess.Popen, timeout_s: float = 120) -> tuple[int, str, list[int]]:
    """Ctrl-C, as a person would; returns the exit code, the output and the pids of every child it had.

    A process that already ended is not interrupted: its code and output say why it ended."""
    try:
        family = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        output, _ = process.communicate(timeout=timeout_s)
        return process.returncode, f"(it ended before the Ctrl-C)\n{output}", []
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=timeout_s)
    return process.returncode, output, family


def alive(pids: list[int]) -> list[int]:
    running = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                running.append(pid)
        except psutil.NoSuchProcess:
            pass
    return running
