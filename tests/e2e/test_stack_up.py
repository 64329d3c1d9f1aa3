"""`orderpulse up` as a newcomer runs it: everything starts, stack.json is right, Ctrl-C leaves nothing."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import psutil
import pytest
from orderpulse.services import installed_services
from stack_process import alive, interrupt, orderpulse, stack_env, wait_for

pytestmark = pytest.mark.e2e

ROLES = {"storefront", "warehouse", "payments", "support", "account_manager", "admin"}


def start_up(env: dict[str, str]):
    return orderpulse(["up"], env)


def wait_for_stack_json(path: Path, process) -> dict:
    wait_for(path, process)
    return json.loads(path.read_text())


def test_up_starts_everything_writes_stack_json_and_ctrl_c_leaves_no_process(tmp_path: Path):
    env = stack_env(tmp_path / "state")
    process = start_up(env)
    try:
        stack = wait_for_stack_json(tmp_path / "state" / "stack.json", process)
        expected_services = {manifest.name for manifest in installed_services()}
        assert set(stack["services"]) == expected_services
        assert set(stack["api_keys"]) >= ROLES
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
        assert stack["mail"]["smtp"] == f"127.0.0.1:{env['ORDERPULSE_MAIL_SMTP_PORT']}"
        mailbox = httpx.get(stack["mail"]["page"], timeout=5)
        assert mailbox.status_code == 200 and "OrderPulse mailbox" in mailbox.text
    finally:
        code, output, family = interrupt(process, timeout_s=90)
    assert code == 0, output
    assert "OrderPulse stopped" in output
    assert family, "the supervisor had no children to stop"
    assert alive(family) == [], f"left behind: {alive(family)}\n{output}"

    # a second start keeps the data folder and the keys
    process = start_up(env)
    try:
        restarted = wait_for_stack_json(tmp_path / "state" / "stack.json", process)
    finally:
        code, output, family = interrupt(process, timeout_s=90)
    assert code == 0, output
    assert restarted["api_keys"] == stack["api_keys"]
    assert alive(family) == []


def test_a_second_ctrl_c_while_stopping_neither_cuts_the_stop_short_nor_changes_the_exit_code(tmp_path: Path):
    process = start_up(stack_env(tmp_path / "state"))
    output = read_until(process, "OrderPulse is up")
    family = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
    process.send_signal(signal.SIGINT)  # at once: before the summary, as an impatient person would
    output += read_until(process, "stopping ...")
    process.send_signal(signal.SIGINT)  # and again, while the services drain
    rest, _ = process.communicate(timeout=90)
    output += rest
    assert process.returncode == 0, output
    assert "OrderPulse stopped" in output
    assert alive(family) == [], f"left behind: {alive(family)}\n{output}"


def test_a_ctrl_c_during_start_up_stops_what_was_started_even_with_sigint_ignored_by_the_parent(tmp_path: Path):
    """A parent that ignores SIGINT (a shell's background job, a test runner's worker) passes that on;
    the Ctrl-C must still stop the start-up, not be lost while the stack comes up and runs on."""
    process = subprocess.Popen(
        [sys.executable, "-m", "orderpulse.cli", "up"], env=stack_env(tmp_path / "state"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    output = read_until(process, "Kafka: starting")  # PostgreSQL is up by now: something to stop
    family = [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=150)
    output += rest
    # stopped at once (130), or, when Python dropped the interrupt inside a fork's handler, right
    # after the start-up it could not cut short (0); either way everything it started is gone
    if process.returncode == 130:
        assert "interrupted during start-up; everything started so far was stopped" in output
    else:
        assert process.returncode == 0, output
        assert "stopping ..." in output and "Press Ctrl-C" not in output, output
    assert "OrderPulse stopped" in output, output
    assert family, "nothing had been started yet"
    assert alive(family) == [], f"left behind: {alive(family)}\n{output}"


def read_until(process, marker: str, timeout_s: float = 180) -> str:
    """The output up to a line starting with `marker`; the process is killed if none came within
    `timeout_s` (a lost signal must fail the test, not hang the suite)."""
    lines = []
    watchdog = threading.Timer(timeout_s, process.kill)
    watchdog.start()
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith(marker):
                return "".join(lines)
    finally:
        watchdog.cancel()
    raise AssertionError(f"`orderpulse up` ended (or was killed after {timeout_s:.0f} s) before printing {marker!r}:\n{''.join(lines)}")


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
        code, output, _ = interrupt(process, timeout_s=90)
    assert code == 0, output
    assert "using ORDERPULSE_DATABASE_URL" in output and "using ORDERPULSE_KAFKA_BOOTSTRAP" in output
