"""Shared by the HTTP benchmarks that drive a running service with `wrk` beside a bare endpoint:
the load generator, the server's CPU from /proc, py-spy, and how runs are summarised."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
import psutil

HERE = Path(__file__).resolve().parent
REQUEST_LIST_LUA = HERE / "request_list.lua"
UVICORN = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--no-access-log", "--workers", "1"]
BARE_APP = ["--app-dir", str(HERE), "_bare_insert_app:app"]  # after UVICORN and --port: the baseline
_WRK_LINE = re.compile(r"^WRK (.*)$", re.MULTILINE)


def cpu_seconds(pid: int, *, system_only: bool = False) -> float:
    """User + system (or only system) CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[12]) if system_only else int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_pid(database_url: str) -> int:
    """The PostgreSQL server (postmaster) listening on the URL's port of this machine."""
    port = int(re.search(r":(\d+)/", database_url).group(1))
    for connection in psutil.net_connections(kind="tcp"):
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port and connection.pid:
            return connection.pid
    raise RuntimeError(f"no process of this machine listens on port {port} (a remote PostgreSQL cannot be measured)")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process, of its live children and of the children it has
    reaped (PostgreSQL: the postmaster, its backends and workers; one that exits between two
    readings moves from the live to the reaped, so the difference stays whole)."""
    root = psutil.Process(pid)
    times = root.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for process in root.children(recursive=True):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: run `make install` (scripts/install_tools.sh installs Debian's wrk)")
    return found


def wrk(
    script: Path, url: str, seconds: float, connections: int, env: Mapping[str, str], pid: int | None = None,
    database_pid: int | None = None,
) -> dict[str, float]:
    """One `wrk -t1` run of `script` (which prints a `WRK key=value ...` line when done) against
    `url`; with `pid`, that server process's CPU per request (user + system, and system alone); with
    `database_pid`, PostgreSQL's too (the server and its backends, `db_ms`)."""
    command = [wrk_binary(), "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url]
    cpu_before = (cpu_seconds(pid), cpu_seconds(pid, system_only=True)) if pid else (0.0, 0.0)
    database_before = tree_cpu_seconds(database_pid) if database_pid else 0.0
    output = subprocess.run(command, env=dict(os.environ, **env), capture_output=True, text=True, check=True).stdout
    cpu_used = cpu_seconds(pid) - cpu_before[0] if pid else 0.0
    system_used = cpu_seconds(pid, system_only=True) - cpu_before[1] if pid else 0.0
    database_used = tree_cpu_seconds(database_pid) - database_before if database_pid else 0.0
    found = _WRK_LINE.search(output)
    if found is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    figures = {key: float(value) for key, value in (part.split("=") for part in found.group(1).split())}
    figures["rate"] = figures["requests"] / figures["seconds"]
    figures["cpu_ms"] = 1000 * cpu_used / max(figures["requests"], 1)  # the server process's CPU per request
    figures["system_ms"] = 1000 * system_used / max(figures["requests"], 1)  # of which in the kernel
    if database_pid:
        figures["db_ms"] = 1000 * database_used / max(figures["requests"], 1)  # PostgreSQL's CPU per request
    return figures


def write_request_list(path: Path, requests: Iterable[tuple[str, str, Mapping[str, str], Any]]) -> int:
    """The file `request_list.lua` replays: (method, path, headers, body: bytes or JSON-able) per request."""
    count = 0
    with path.open("wb") as out:
        for method, target, headers, body in requests:
            raw = body if isinstance(body, bytes) else orjson.dumps(body)
            if b"\t" in raw or b"\n" in raw:
                raise ValueError("request_list.lua reads one request per line: no tab or newline in a body")
            fields = [method, target, *(part for pair in headers.items() for part in pair)]
            out.write("\t".join(fields).encode() + b"\t" + raw + b"\n")
            count += 1
    return count


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("--profile needs py-spy: `make install` (requirements-dev.txt) or `.venv/bin/pip install py-spy`")
    return found


def profiled(pid: int, seconds: float, out: Path, load: Callable[[], dict[str, float]], native: bool = False) -> dict[str, float]:
    """`load()` (one more wrk run) while `py-spy record` samples `pid` for `seconds` (speedscope
    JSON, collapsed stacks for `.txt`, or SVG by suffix); `native` adds the C frames (asyncpg's Cython
    protocol, orjson, pydantic-core)."""
    form = {".json": "speedscope", ".txt": "raw"}.get(out.suffix, "flamegraph")
    recorder = subprocess.Popen(
        [py_spy(), "record", "--pid", str(pid), "--duration", f"{seconds:g}", "--rate", "250", "--format", form,
         "--output", str(out), *(["--native"] if native else [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    figures = load()
    recorder.wait(timeout=60)
    print(f"profiled run: {figures['rate']:,.0f}/s under py-spy; profile in {out}")
    return figures


def run_line(run: int, name: str, figures: Mapping[str, float]) -> str:
    return (
        f"run {run} {name:<12} {figures['rate']:>8,.0f}/s  p50 {figures['p50_ms']:6.1f} ms  p99 {figures['p99_ms']:6.1f} ms  "
        f"server CPU {figures['cpu_ms']:.2f} ms/request ({figures['system_ms']:.2f} kernel)  "
        + (f"PostgreSQL CPU {figures['db_ms']:.2f} ms/request  " if "db_ms" in figures else "")
        + f"non-2xx {figures['non2xx']:.0f}  socket errors {figures['errors']:.0f}"
    )


def describe(name: str, runs: list[dict[str, float]]) -> str:
    rates = [run["rate"] for run in runs]
    p99s = [run["p99_ms"] for run in runs]
    cpus = [run["cpu_ms"] for run in runs]
    return (
        f"{name:<12} median {statistics.median(rates):>8,.0f}/s  min {min(rates):>8,.0f}  max {max(rates):>8,.0f}   "
        f"p99 median {statistics.median(p99s):,.1f} ms (min {min(p99s):,.1f}, max {max(p99s):,.1f})   "
        f"CPU {statistics.median(cpus):.2f} ms/request ({min(cpus):.2f} – {max(cpus):.2f})"
        + (f"  PostgreSQL CPU {median_of(runs, 'db_ms'):.2f} ms/request" if all("db_ms" in run for run in runs) else "")
        + f"  (n={len(runs)})"
    )


def median_of(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)
