"""The simulator's transport for plain-HTTP services (`orderpulse.simulator.plain_http`): httpcore
on asyncio's streams. Real sockets: a tiny HTTP/1.1 server on a free port. A connection is kept
and reused, one the server closed while idle is not reused (no retry needed), a server that does
not answer is a timeout, and an https service keeps httpx's default transport."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from orderpulse.simulator.clients import ApiError, Stack, Traffic, Transport
from orderpulse.simulator.plain_http import PlainHttpTransport, transport_for

ANSWER = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n{"ok": true}'


class TinyServer:
    """Answers every request with `ANSWER`; counts connections; closes each connection after one
    answer when `close_after_answer`, or never answers when `silent`."""

    def __init__(self, *, close_after_answer: bool = False, silent: bool = False) -> None:
        self.close_after_answer, self.silent = close_after_answer, silent
        self.connections = 0
        self.closed = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *_exc) -> None:
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                if self.silent:
                    continue
                writer.write(ANSWER)
                await writer.drain()
                if self.close_after_answer:
                    writer.close()
                    await writer.wait_closed()
                    self.closed.set()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def _transport(url: str, **options) -> Transport:
    stack = Stack(services={"order-svc": url}, api_keys={"support": "k"}, signing_secrets={})
    return Transport(stack, Traffic(), connections=2, **options)


async def test_plain_http_services_use_the_asyncio_transport_and_https_ones_httpx_default():
    limits = httpx.Limits(max_connections=2)
    assert isinstance(transport_for("http://127.0.0.1:8000", limits), PlainHttpTransport)
    kept = transport_for("https://orders.example.com", limits)
    assert isinstance(kept, httpx.AsyncHTTPTransport) and not isinstance(kept, PlainHttpTransport)


async def test_answers_come_back_decoded_over_one_kept_connection():
    server = TinyServer()
    async with server as url:
        transport = _transport(url)
        try:
            answers = [await transport.call("GET", "order-svc", "/v1/orders/o1/timeline", role="support")
                       for _ in range(3)]
        finally:
            await transport.close()
    assert answers == [{"ok": True}] * 3
    assert server.connections == 1
    assert transport.traffic.requests == 3 and transport.traffic.retries == 0


async def test_a_connection_the_server_closed_while_idle_is_not_reused():
    server = TinyServer(close_after_answer=True)
    async with server as url:
        transport = _transport(url)
        try:
            assert await transport.call("GET", "order-svc", "/a", role="support") == {"ok": True}
            await server.closed.wait()
            assert await transport.call("GET", "order-svc", "/b", role="support") == {"ok": True}
        finally:
            await transport.close()
    assert server.connections == 2
    assert transport.traffic.retries == 0  # the pool saw the closed socket before sending on it


async def test_a_service_that_does_not_answer_is_a_timeout():
    async with TinyServer(silent=True) as url:
        transport = _transport(url, timeout_s=0.2)
        try:
            with pytest.raises(ApiError) as failure:
                await transport.call("GET", "order-svc", "/slow", role="support", quiet=True)
        finally:
            await transport.close()
    assert failure.value.kind == "timeout"


async def test_more_requests_at_once_than_connections_are_all_answered_on_at_most_the_pools_connections():
    server = TinyServer()
    async with server as url:
        transport = _transport(url)
        transport.gates["order-svc"] = asyncio.Semaphore(10)  # requests queue in the pool, not before it
        try:
            answers = await asyncio.gather(*(transport.call("GET", "order-svc", f"/o/{n}", role="support")
                                             for n in range(40)))
        finally:
            await transport.close()
    assert answers == [{"ok": True}] * 40
    assert server.connections <= 2  # the pool's size (`connections=2`)
    assert transport.traffic.retries == 0
