"""An open-loop HTTP load generator for the latency benchmarks, run as a process of its own.

The n-th request is due at `start + n / rate`, whatever the answers before it take; latency is
counted from that moment, so a request that waits for a free connection (or for this process)
shows its wait instead of hiding it. Requests go out on the job's `connections` keep-alive
HTTP/1.1 connections (asyncio protocols on uvloop, answers parsed by httptools, every request
built before the clock starts): ~0.2 - 0.3 ms of CPU a request, its start-up included, where
httpx in the benchmark's own event loop cost 7 - 20 ms and became the bottleneck
(docs/benchmarks.md).

Input (stdin, JSON): {"url", "rate", "start", "requests": [[method, path, headers, body], ...],
"connections"}; `start` is a `time.time()` a little ahead, so the parent can prepare its side.
Output (JSON, to the file named as the argument): one [due, sent, answered, status, body] per
request (times in `time.time()` seconds), the counts of retries and how late the schedule ran.
A dropped connection or a 503 is tried again with the same request (same Idempotency-Key, as a
storefront would), at most `RETRIES` times; its latency still counts from the first due time.

    .venv/bin/python bench/_open_loop.py answers.json < job.json
"""

from __future__ import annotations

import asyncio
import sys
import time
from urllib.parse import urlsplit

import httptools
import orjson

RETRIES = 3
RETRY_AFTER_CAP_S = 1.0


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future | None = None
        self._body: list[bytes] = []
        self._retry_after = b""
        self._header = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(ConnectionError("connection closed before the answer"))

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            if self._answer is not None and not self._answer.done():
                self._answer.set_exception(ConnectionError(f"unparsable answer: {error}"))
            self.transport.close()

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"retry-after":
            self._retry_after = value

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        answer = self._answer
        if answer is not None and not answer.done():
            answer.set_result((self._parser.get_status_code(), b"".join(self._body), self._retry_after))
        if not self._parser.should_keep_alive():
            self.transport.close()

    def send(self, request: bytes) -> asyncio.Future:
        self._body = []
        self._retry_after = b""
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._answer

    @property
    def usable(self) -> bool:
        return self.transport is not None and not self.closed.done()


def _encoded(host: str, method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


async def _worker(host: str, port: int, queue: asyncio.Queue, requests: list[bytes], results: list, counts: dict) -> None:
    loop = asyncio.get_running_loop()
    _transport, connection = await loop.create_connection(_Connection, host, port)  # before the clock starts
    while True:
        item = await queue.get()
        if item is None:
            break
        n, due = item
        for attempt in range(RETRIES + 1):
            try:
                if connection is None or not connection.usable:
                    _transport, connection = await loop.create_connection(_Connection, host, port)
                sent = time.time()
                status, body, retry_after = await connection.send(requests[n])
            except (ConnectionError, OSError):
                connection = None
                if attempt == RETRIES:
                    raise
                counts["reconnects"] += 1
                continue
            if status == 503 and attempt < RETRIES:
                counts["busy"] += 1
                await asyncio.sleep(min(float(retry_after or b"1"), RETRY_AFTER_CAP_S))
                continue
            break
        results[n] = (due, sent, time.time(), status, body.decode())
    if connection is not None and connection.transport is not None:
        connection.transport.close()


async def run(job: dict) -> dict:
    """Send every request of `job` at its due time; the answers in request order."""
    url = urlsplit(job["url"])
    host, port = url.hostname, url.port or 80
    requests = [
        _encoded(f"{host}:{port}", method, path, headers, body.encode()) for method, path, headers, body in job["requests"]
    ]
    results: list = [None] * len(requests)
    counts = {"busy": 0, "reconnects": 0}
    queue: asyncio.Queue = asyncio.Queue()
    workers = [asyncio.create_task(_worker(host, port, queue, requests, results, counts)) for _ in range(job["connections"])]
    rate, start = job["rate"], job["start"]
    # the schedule runs on the monotonic clock; the due times reported are wall-clock (the sink's clock)
    begin = time.monotonic() + (start - time.time())
    lag_s = 0.0
    for n in range(len(requests)):
        delay = begin + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            lag_s = max(lag_s, -delay)
        queue.put_nowait((n, start + n / rate))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return {"answers": results, "busy_retries": counts["busy"], "reconnects": counts["reconnects"], "schedule_lag_s": lag_s}


def main(out: str) -> None:
    job = orjson.loads(sys.stdin.buffer.read())
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        outcome = asyncio.run(run(job))
    else:
        outcome = uvloop.run(run(job))
    with open(out, "wb") as answers:  # not stdout: a pipe left non-blocking cut a large answer short
        answers.write(orjson.dumps(outcome))


if __name__ == "__main__":
    main(sys.argv[1])
