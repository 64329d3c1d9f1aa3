"""CPU seconds of every process of a running stack over a stretch of time, by owner.

`orderpulse up` and everything it started are sampled every `every_s` on a thread: each service,
the broker, the mail sink, and PostgreSQL's processes. A PostgreSQL backend is charged to the
service whose socket it serves (its process title names the client's port; the service process
holding that port owns it), the postmaster's own helpers (checkpointer, WAL writer, autovacuum)
to "postgres: background". A backend that ends between two samples is charged with what its last
sample saw; what no sample saw of ended backends (their last instants, and backends too short
to be sampled at all) is the postmaster's reaped-children CPU left over: "postgres: ended, unseen".
So the groups add up to the stack's whole CPU, PostgreSQL's short sessions included (summing the
living processes' times alone loses every backend that ended during the run).
"""

from __future__ import annotations

import collections
import re
import threading

import psutil

BACKGROUND = "postgres: background"
UNSEEN = "postgres: ended, unseen"
POSTMASTER = "postgres: postmaster"
_CLIENT_PORT = re.compile(r"\((\d+)\)")
_SERVICES = ("order_svc", "fulfillment_svc", "notify_svc", "feedback_svc", "kpi_svc", "mailbox", "tansu")


class StackCpu:
    def __init__(self, up_pid: int, *, every_s: float = 0.2) -> None:
        self.up_pid, self.every_s = up_pid, every_s
        self._first: dict[tuple[int, float], float] = {}
        self._last: dict[tuple[int, float], float] = {}
        self._owner: dict[tuple[int, float], str] = {}
        self._port_owner: dict[int, str] = {}
        self._reaped_first = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._sample(first=True)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        """CPU seconds by owner since `start`."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        reaped_now, alive = self._sample(first=False)
        found: dict[str, float] = collections.defaultdict(float)
        ended_seen = 0.0
        for key, last in self._last.items():
            found[self._owner[key]] += last - self._first.get(key, 0.0)
            if key not in alive and self._owner[key].startswith("postgres"):
                ended_seen += last
        found[UNSEEN] = max(0.0, reaped_now - self._reaped_first - ended_seen)
        return dict(found)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self._sample(first=False)

    def _sample(self, *, first: bool) -> tuple[float, set[tuple[int, float]]]:
        """Records every living process's CPU; returns the postmaster's reaped-children CPU and
        the processes alive now."""
        reaped, alive = 0.0, set()
        try:
            family = [psutil.Process(self.up_pid), *psutil.Process(self.up_pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return reaped, alive
        for process in family:
            try:
                with process.oneshot():
                    key = (process.pid, process.create_time())
                    times = process.cpu_times()
                    if key not in self._owner:
                        self._owner[key] = self._owner_of(process)
                    if self._owner[key] == POSTMASTER:
                        reaped = times.children_user + times.children_system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            alive.add(key)
            spent = times.user + times.system
            if first:
                self._first[key] = spent
            self._last[key] = spent
        if first:
            self._reaped_first = reaped
        return reaped, alive

    def _owner_of(self, process: psutil.Process) -> str:
        text = " ".join(process.cmdline())
        for name in _SERVICES:
            if name in text:
                return name.replace("_svc", "-svc")
        if process.name() != "postgres":
            return "orderpulse up" if process.pid == self.up_pid else text[:40]
        if _is_postmaster(process):
            return POSTMASTER
        port = _CLIENT_PORT.search(text)
        if port is None:
            return BACKGROUND
        return "postgres: " + self._service_on_port(int(port.group(1)))

    def _service_on_port(self, port: int) -> str:
        if port not in self._port_owner:
            self._map_ports()
        return self._port_owner.get(port, "other client")

    def _map_ports(self) -> None:
        try:
            services = {child.pid: self._owner_of(child) for child in psutil.Process(self.up_pid).children(recursive=True)
                        if child.name() != "postgres"}
            connections = psutil.net_connections(kind="tcp")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return
        for connection in connections:
            if connection.pid in services and connection.laddr:
                self._port_owner[connection.laddr.port] = services[connection.pid]


def _is_postmaster(process: psutil.Process) -> bool:
    parent = process.parent()
    return process.name() == "postgres" and (parent is None or parent.name() != "postgres")
