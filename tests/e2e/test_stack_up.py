"""`orderpulse up` as a newcomer runs it: everything starts, stack.json is right, Ctrl-C leaves nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from orderpulse.services import installed_services
from orderpulse.stack.processes import free_port

pytestmark = pytest.mark.e2e

ROLES = {"storefront", "warehouse", "payments", "support", "account_manager", "admin"}


def stack_env(state_dir: Path, **extra: str) -> dict[str, str]:
    ports = {manifest.name: free_port() for manifest in installed_services()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERPULSE_")}
    env.update(
        ORDERPULSE_STATE_DIR=str(state_dir),
        ORDERPULSE_POSTGRES_PORT=str(free_port()),
        ORDERPULSE_KAFKA_PORT=str(free_port()),
        ORDERPULSE_SERVICE_PORTS=json.dumps(ports),
        ORDERPULSE_DURABLE_POSTGRES="false",
        **extra,
    )
    return env


def start_up(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "orderpulse.cli", "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wait_for_stack_json(path: Path, process: subprocess.Popen, timeout_s: float = 150) -> dict:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"`orderpulse up` exited early:\n{process.stdout.read()}")
        assert time.monotonic() < deadline, "stack.json never appeared"
        time.sleep(0.2)
    return json.loads(path.read_text())


def interrupt_and_collect(process: subprocess.Popen) -> tuple[int, str, list[int]]:
    family = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=90)
    return process.returncode, output, family


def still_running(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def test_up_starts_everything_writes_stack_json_and_ctrl_c_leaves_no_process(tmp_path: Path):
    env = stack_env(tmp_path / "state")
    process = start_up(env)
    try:
        stack = wait_for_stack_json(tmp_path / "state" / "stack.json", process)
        expected_services = {manifest.name for manifest in installed_services()}
        assert set(stack["services"]) == expected_services
        assert ROLES <= set(stack["api_keys"])
        assert any(role.startswith("carrier:") for role in stack["api_keys"])
        assert "payments" in stack["signing_secrets"]
        assert stack["kafka_bootstrap"] == f"127.0.0.1:{env['ORDERPULSE_KAFKA_PORT']}"
        assert f":{env['ORDERPULSE_POSTGRES_PORT']}/" in stack["database_url"]
        for url in stack["services"].values():
            ready = httpx.get(url + "/readyz", timeout=5)
            assert ready.status_code == 200, ready.text
            assert httpx.get(url + "/openapi.json", timeout=5).status_code == 200
        with socket.create_connection(("127.0.0.1", int(env["ORDERPULSE_KAFKA_PORT"])), timeout=2):
            pass
    finally:
        code, output, family = interrupt_and_collect(process)
    assert code == 0, output
    assert "OrderPulse stopped" in output
    assert family, "the supervisor had no children to stop"
    assert still_running(family) == [], f"left behind: {still_running(family)}\n{output}"

    # a second start keeps the data folder and the keys
    process = start_up(env)
    try:
        restarted = wait_for_stack_json(tmp_path / "state" / "stack.json", process)
    finally:
        code, output, family = interrupt_and_collect(process)
    assert code == 0, output
    assert restarted["api_keys"] == stack["api_keys"]
    assert still_running(family) == []


def test_a_port_in_use_is_a_clear_error_naming_it(tmp_path: Path):
    env = stack_env(tmp_path / "state")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(env["ORDERPULSE_KAFKA_PORT"])))
        squatter.listen()
        process = start_up(env)
        output, _ = process.communicate(timeout=120)
    assert process.returncode == 1
    assert f"port {env['ORDERPULSE_KAFKA_PORT']}" in output
    assert "Kafka" in output


def test_external_database_and_broker_are_used_instead_of_the_embedded_ones(tmp_path: Path, infrastructure):
    env = stack_env(
        tmp_path / "state",
        ORDERPULSE_DATABASE_URL=infrastructure.database_url,
        ORDERPULSE_KAFKA_BOOTSTRAP=infrastructure.kafka_bootstrap,
        ORDERPULSE_KAFKA_ENABLE_IDEMPOTENCE="true" if infrastructure.kafka_enable_idempotence else "false",
    )
    process = start_up(env)
    try:
        stack = wait_for_stack_json(tmp_path / "state" / "stack.json", process)
        assert stack["database_url"] == infrastructure.database_url
        assert stack["kafka_bootstrap"] == infrastructure.kafka_bootstrap
        assert not (tmp_path / "state" / "postgres").exists()
    finally:
        code, output, _ = interrupt_and_collect(process)
    assert code == 0, output
    assert "using ORDERPULSE_DATABASE_URL" in output and "using ORDERPULSE_KAFKA_BOOTSTRAP" in output
