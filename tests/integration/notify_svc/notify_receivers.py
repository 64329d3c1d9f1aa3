"""Real receivers for notify-svc's tests: an SMTP server (aiosmtpd) that keeps every message,
deduplicated by Message-ID like the stack's sink, and an HTTP server standing in for the SMS /
webhook provider. Both run in their own threads on free loopback ports."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from orderpulse.stack.processes import free_port


class SmtpSink:
    """`messages` holds each distinct Message-ID once; `received` counts every DATA, duplicates too,
    and `received_ids` how often each Message-ID came. `delay_s` slows each answer (a busy server)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.received = 0
        self.received_ids: Counter[str] = Counter()
        self.delay_s = 0.0
        self._ids: set[str] = set()
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        with self._lock:
            self.received += 1
            message_id = str(parsed["Message-ID"])
            self.received_ids[message_id] += 1
            if message_id not in self._ids:
                self._ids.add(message_id)
                self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def restart(self) -> None:
        """The same port, a new server (connections to the old one are gone)."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def about(self, order_id: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["X-OrderPulse-Order-Id"] == order_id]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """Answers `fail_next` requests with 503, then 204 (after `delay_s`); keeps the requests it
    accepted, duplicates too (`stored` is what the stack's receiver keeps: once per webhook-id)."""

    accepted: list[Request] = field(default_factory=list)
    refused: int = 0
    fail_next: int = 0
    delay_s: float = 0.0

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    receiver.refused += 1
                    self.send_response(503)
                else:
                    time.sleep(receiver.delay_s)
                    receiver.accepted.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stored(self) -> dict[str, Request]:
        """The accepted requests by webhook-id, the first of each kept."""
        kept: dict[str, Request] = {}
        for request in list(self.accepted):
            kept.setdefault(request.headers["webhook-id"], request)
        return kept

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
