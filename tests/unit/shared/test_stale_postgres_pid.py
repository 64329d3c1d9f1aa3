"""A postmaster.pid left by a killed server: only that server is stopped, never a process that got its pid."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from orderpulse.stack.postgres import EmbeddedPostgres, _is_postgres_of


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "pg" / "data").mkdir(parents=True)
    return tmp_path / "pg"


def run_as(name: str, tmp_path: Path, *args: str) -> subprocess.Popen:
    """A sleeping process whose argv[0] is `name` and whose arguments are `args`."""
    program = tmp_path / name
    program.symlink_to(sys.executable)
    # SIGINT ends it as it ends PostgreSQL, even when the test runner's parent left SIGINT ignored
    # (a background job of a non-interactive shell), which this process would otherwise inherit
    process = subprocess.Popen(
        [str(program), "-c", "import time; time.sleep(60)", *args],
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    deadline = time.monotonic() + 10
    while not cmdline.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)  # right after the exec, the kernel shows an empty command line for a moment
    return process


def write_pid_file(data_dir: Path, pid: int) -> None:
    (data_dir / "data" / "postmaster.pid").write_text(f"{pid}\n{data_dir / 'data'}\n")


def test_a_pid_reused_by_another_program_is_left_alone(data_dir: Path, tmp_path: Path):
    bystander = run_as("pytest-worker", tmp_path, "-D", str(data_dir / "data"))
    try:
        write_pid_file(data_dir, bystander.pid)
        EmbeddedPostgres(data_dir, port=1)._stop_stale_server()
        assert bystander.poll() is None, "a process that merely inherited the stale pid was signalled"
    finally:
        bystander.kill()
        bystander.wait()


def test_a_postgres_of_another_folder_is_left_alone(data_dir: Path, tmp_path: Path):
    other = run_as("postgres", tmp_path, "-D", str(tmp_path / "elsewhere" / "data"))
    try:
        assert not _is_postgres_of(other.pid, data_dir / "data")
        write_pid_file(data_dir, other.pid)
        EmbeddedPostgres(data_dir, port=1)._stop_stale_server()
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_the_stale_server_of_this_folder_is_stopped(data_dir: Path, tmp_path: Path):
    stale = run_as("postgres", tmp_path, "-D", str(data_dir.resolve() / "data"))
    try:
        assert _is_postgres_of(stale.pid, data_dir.resolve() / "data")
        write_pid_file(data_dir, stale.pid)
        EmbeddedPostgres(data_dir, port=1)._stop_stale_server()
        assert stale.wait(timeout=10) != 0  # SIGINT ended it
    finally:
        stale.kill()
        stale.wait()
