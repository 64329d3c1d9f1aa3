"""The simulator's HTTP transport for plain-HTTP services: httpx's own transport, with httpcore
talking to the sockets through asyncio's streams instead of anyio's.

Why: httpcore checks every idle pooled connection on every request (`has_expired`, twice per
request: when it is queued and when it is done) and asks the stream whether its socket is
readable; through anyio that builds the socket's whole attribute table each time
(`getpeername` and `getsockname` included), and every read and write opens an anyio cancel
scope. That was ~10 – 15 % of the simulator's CPU in a backfill (docs/benchmarks.md, `backfill2`
and `backfill3`). Here the readability check is one `poll` of the socket and a read or write is
the stream's own call under `asyncio.timeout`. And httpcore's pool walks all its connections on
every assignment, counting them again for each idle one (quadratic in the pool's size):
`LeanConnectionPool` checks only the connection it is about to hand out (closed, expired, or
closed by the server while idle: then the next one), and leaves the full walk (which also closes
expired connections nobody asked for) to once a second. What a request does and which errors it
raises (httpcore's, mapped by httpx as before) are unchanged. TLS is not handled: an https service
is given httpx's default transport (`transport_for`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import typing

import httpcore
import httpx
from httpcore._utils import is_socket_readable


def transport_for(base_url: str, limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    """The transport for one service: this module's for http://, httpx's default for anything else."""
    if httpx.URL(base_url).scheme != "http":
        return httpx.AsyncHTTPTransport(limits=limits)
    return PlainHttpTransport(limits)


class PlainHttpTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (its request and response mapping, its errors) over a connection pool
    whose network backend is `AsyncioBackend`."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        self._pool = LeanConnectionPool(
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=AsyncioBackend(),
        )


# how often the pool walks all its connections (httpcore's own pass: expired ones closed)
SWEEP_EVERY_S = 1.0


class LeanConnectionPool(httpcore.AsyncConnectionPool):
    """httpcore's pool, handing a queued request the first connection that can take it, checked
    for expiry only when it is chosen. Called by httpcore under its lock, whenever a request is
    added or done; returns the connections to close (as httpcore's method does)."""

    _swept_at = float("-inf")

    def _assign_requests_to_connections(self) -> list:
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_EVERY_S:
            self._swept_at = now
            return super()._assign_requests_to_connections()
        closing: list = []
        for pool_request in self._requests:
            if pool_request.is_queued():
                connection = self._connection_for(pool_request.request.url.origin, closing)
                if connection is not None:
                    pool_request.assign_to_connection(connection)
        return closing

    def _connection_for(self, origin: httpcore.Origin, closing: list) -> typing.Any:
        for connection in list(self._connections):
            if connection.is_closed():
                self._connections.remove(connection)
            elif connection.can_handle_request(origin) and connection.is_available():
                if not connection.has_expired():
                    return connection
                self._connections.remove(connection)  # kept alive too long, or closed by the server
                closing.append(connection)
        if len(self._connections) >= self._max_connections:
            idle = next((connection for connection in self._connections if connection.is_idle()), None)
            if idle is None:
                return None  # stays queued until a connection is done
            self._connections.remove(idle)
            closing.append(idle)
        connection = self.create_connection(origin)
        self._connections.append(connection)
        return connection


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._socket = writer.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as error:
            raise httpcore.ReadTimeout(str(error)) from error
        except OSError as error:
            raise httpcore.ReadError(str(error)) from error

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as error:
            raise httpcore.WriteTimeout(str(error)) from error
        except OSError as error:
            raise httpcore.WriteError(str(error)) from error

    async def aclose(self) -> None:
        self._writer.close()

    async def start_tls(self, ssl_context: typing.Any, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("plain HTTP only: an https service uses httpx's default transport")

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":  # httpcore's check of an idle connection: did the server close it?
            return is_socket_readable(self._socket)
        if info == "socket":
            return self._socket
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: typing.Iterable[tuple] | None = None) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=(local_address, 0) if local_address else None)
        except TimeoutError as error:
            raise httpcore.ConnectTimeout(str(error)) from error
        except OSError as error:
            raise httpcore.ConnectError(str(error)) from error
        raw: socket.socket = writer.get_extra_info("socket")
        with contextlib.suppress(OSError):  # asyncio sets it on TCP sockets already; said here as httpcore's does
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for option in socket_options or ():
            raw.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
