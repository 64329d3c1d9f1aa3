"""A stack that went away ends the simulator's run with an error instead of retries for hours: once
no service has answered anything for `--give-up-after`, requests fail at once and the run stops
(exit code 1, saying what to do). A service that answers, even 503, is not gone. Real sockets:
a port nobody listens on, and a tiny server answering 503."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from orderpulse.simulator.clients import UNREACHABLE, ApiError, Stack, Traffic, Transport

SERVICES = ("order-svc", "fulfillment-svc", "kpi-svc", "notify-svc", "feedback-svc")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed on leaving: connections are refused


def _stack(url: str) -> Stack:
    return Stack(services={name: url for name in SERVICES}, api_keys={"storefront": "k"}, signing_secrets={})


async def _answering_503() -> asyncio.Server:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 1\r\n\r\n")
            await writer.drain()

    return await asyncio.start_server(answer, "127.0.0.1", 0)


async def test_a_stack_nobody_answers_for_the_limit_is_given_up_and_then_fails_at_once():
    transport = Transport(_stack(f"http://127.0.0.1:{_closed_port()}"), Traffic(), give_up_after_s=0.5)
    try:
        with pytest.raises(ApiError) as refused:
            await transport.call("GET", "order-svc", "/v1/catalog", role="storefront", quiet=True)
        assert refused.value.kind == "connection"
        assert transport.check_alive() is None  # one refusal is not the limit yet
        await asyncio.sleep(0.6)
        gone = transport.check_alive()
        assert gone is not None and "orderpulse up" in gone and "has answered for" in gone
        sent, retried = transport.traffic.requests, transport.traffic.retries
        with pytest.raises(ApiError) as given_up:
            await transport.call("GET", "order-svc", "/v1/catalog", role="storefront")
        assert given_up.value.kind == UNREACHABLE
        assert (transport.traffic.requests, transport.traffic.retries) == (sent, retried)  # not sent, not retried
    finally:
        await transport.close()


async def test_a_service_answering_503_is_slow_to_recover_not_gone():
    server = await _answering_503()
    port = server.sockets[0].getsockname()[1]
    transport = Transport(_stack(f"http://127.0.0.1:{port}"), Traffic(), give_up_after_s=0.3)
    try:
        for _ in range(3):
            with pytest.raises(ApiError) as busy:
                await transport.call("GET", "order-svc", "/v1/catalog", role="storefront", quiet=True)
            assert busy.value.status == 503
            await asyncio.sleep(0.2)
        assert transport.check_alive() is None
    finally:
        await transport.close()
        server.close()


def test_orderpulse_simulate_against_a_stack_that_is_gone_stops_with_an_error(tmp_path: Path):
    stack_json = tmp_path / "stack.json"
    url = f"http://127.0.0.1:{_closed_port()}"
    stack_json.write_bytes(orjson.dumps({"services": {name: url for name in SERVICES},
                                         "api_keys": {"storefront": "k", "warehouse": "k", "support": "k"}}))
    result = subprocess.run(  # without giving up, a 10-minute run: the timeout fails it
        [sys.executable, "-m", "orderpulse.cli", "simulate", "--stack", str(stack_json), "--duration", "10m",
         "--give-up-after", "3s", "--progress-every", "1s"],
        capture_output=True, text=True, timeout=240, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "no service of the stack has answered for" in output and "orderpulse up" in output, output
