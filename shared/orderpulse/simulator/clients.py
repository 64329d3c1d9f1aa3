"""HTTP transport of the simulator: the stack's URLs and keys, auth and signature headers, one
pooled httpx.AsyncClient, retries of what is safe to retry, and errors counted by kind.

Every request the simulator sends is safe to repeat (an Idempotency-Key, an event id, a PUT of
an absolute value, or a read), so transport errors, 429 and 5xx are retried with backoff. A 4xx
is never retried: the simulator did not intend it, so it is recorded as a simulator bug.

A stack that went away is not retried for ever: once no service has answered anything (a 503
counts as an answer) for `GIVE_UP_AFTER_S` while requests were waiting, `Transport.check_alive`
says so, and from then on every request fails at once (`ApiError` "stack unreachable").
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from orderpulse.http.signatures import signed_headers
from orderpulse.rfc3339 import format_time as format_time  # as the services answer, so times compare equal
from orderpulse.simulator.config import GIVE_UP_AFTER_S
from orderpulse.simulator.plain_http import transport_for

if importlib.util.find_spec("sniffio") is None:
    # httpcore tries `import sniffio` on every request; without the package that is a full import
    # search each time (a tenth of the simulator's CPU). A None entry makes the failure instant.
    sys.modules.setdefault("sniffio", None)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 9  # ~23 s of retries: long enough for a supervisor to restart a killed service
UNREACHABLE = "stack unreachable"
UNINTENDED_SAMPLES = 20


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class Stack:
    """What `.orderpulse/stack.json` tells a client: service URLs, API keys and signing secrets."""

    services: dict[str, str]
    api_keys: dict[str, str]
    signing_secrets: dict[str, str]
    mail_page: str | None = None  # the local stack's page of the mail and SMS it caught, where it runs one
    state_dir: Path | None = None  # the folder of stack.json (the local mail sink stores .eml files in mail/)

    @classmethod
    def load(cls, path: Path) -> Stack:
        try:
            data = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            raise FileNotFoundError(f"{path} not found: start the stack first (`orderpulse up`)") from None
        mail = data.get("mail")
        return cls(services=dict(data["services"]), api_keys=dict(data["api_keys"]),
                   signing_secrets=dict(data.get("signing_secrets", {})),
                   mail_page=mail.get("page") if isinstance(mail, dict) else None, state_dir=path.parent)

    def emails_caught(self) -> int | None:
        """How many emails the local mail sink holds (None where there is none to look at)."""
        folder = self.state_dir / "mail" if self.state_dir is not None else None
        if folder is None or not folder.is_dir():
            return None
        with os.scandir(folder) as entries:
            return sum(1 for entry in entries if entry.name.endswith(".eml"))

    def has(self, service: str) -> bool:
        return service in self.services

    @property
    def carriers(self) -> tuple[str, ...]:
        """Carriers that have both a key and a signing secret."""
        return tuple(sorted(role.split(":", 1)[1] for role in self.api_keys
                            if role.startswith("carrier:") and role in self.signing_secrets))


class ApiError(Exception):
    """A request that failed for good; `kind` is what the error tallies count."""

    def __init__(self, kind: str, method: str, path: str, status: int | None = None, detail: str = "") -> None:
        super().__init__(f"{method} {path}: {kind}{': ' + detail if detail else ''}")
        self.kind = kind
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail

    @property
    def unintended_4xx(self) -> bool:
        return self.status is not None and 400 <= self.status < 500


@dataclass
class Traffic:
    """Requests sent and errors by kind (retried ones included), and samples of unintended 4xx."""

    requests: int = 0
    retries: int = 0
    errors: Counter = field(default_factory=Counter)
    unintended: list[str] = field(default_factory=list)
    _seen: set = field(default_factory=set)

    def failed(self, error: ApiError) -> None:
        self.errors[error.kind] += 1
        if error.unintended_4xx and (error.kind, error.method) not in self._seen:
            self._seen.add((error.kind, error.method))
            if len(self.unintended) < UNINTENDED_SAMPLES:
                self.unintended.append(str(error)[:400])

    def note(self, kind: str, sample: str | None = None) -> None:
        """A problem that is not an HTTP error (a rejected scan, an unexpected answer)."""
        self.errors[kind] += 1
        if sample and kind not in self._seen:
            self._seen.add(kind)
            if len(self.unintended) < UNINTENDED_SAMPLES:
                self.unintended.append(sample[:400])


def _problem_kind(response: httpx.Response) -> tuple[str, str]:
    try:
        problem = response.json()
        code = str(problem.get("type", "")).rsplit("/", 1)[-1] or "error"
        detail = str(problem.get("detail") or problem.get("title") or "")
    except ValueError:
        code, detail = "error", response.text[:200]
    return f"http_{response.status_code} {code}", detail


class Transport:
    def __init__(self, stack: Stack, traffic: Traffic, *, connections: int = 24, timeout_s: float = 30.0,
                 give_up_after_s: float = GIVE_UP_AFTER_S) -> None:
        """One pool per service, `connections` each (httpcore's pool costs grow with its size)."""
        self.stack = stack
        self.traffic = traffic
        self.give_up_after_s = give_up_after_s
        self.gone: str | None = None  # why the stack was given up on (`check_alive`)
        self._asking_since: float | None = None  # the first request sent since the last answer
        hooks = {"request": [self._asked], "response": [self._answered]}
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.clients = {
            service: httpx.AsyncClient(
                base_url=url,
                transport=transport_for(url, limits),
                timeout=httpx.Timeout(timeout_s, connect=5.0),
                event_hooks=hooks,
            )
            for service, url in stack.services.items()
        }
        # requests wait here rather than in httpcore's pool, whose queue handling is costly
        self.gates = {service: asyncio.Semaphore(connections) for service in stack.services}

    async def _asked(self, _request: httpx.Request) -> None:
        if self._asking_since is None:
            self._asking_since = time.monotonic()

    async def _answered(self, _response: httpx.Response) -> None:
        self._asking_since = None

    def check_alive(self) -> str | None:
        """None while the stack answers; otherwise (and from then on) why it was given up on."""
        if self.gone is None and self._asking_since is not None:
            silent_s = time.monotonic() - self._asking_since
            if silent_s >= self.give_up_after_s:
                self.gone = (f"no service of the stack has answered for {silent_s:.0f} s "
                             f"({', '.join(self.stack.services.values())}): is it still running? "
                             "Start it with `orderpulse up`, then run the simulator again")
        return self.gone

    def _unless_gone(self, method: str, path: str) -> None:
        if self.gone is not None:
            raise ApiError(UNREACHABLE, method, path, detail=self.gone)

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        *,
        role: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        signed: bool = False,
        quiet: bool = False,
        expected: frozenset[int] = frozenset(),
    ) -> Any:
        """The decoded JSON answer of a 2xx; ApiError otherwise (after retries where safe).
        `quiet`: a failure is the caller's to judge (not counted as an error); `expected`: 4xx
        statuses the caller handles (raised, not counted)."""
        client = self.clients[service]
        content = None if body is None else orjson.dumps(body)
        headers = {"Authorization": f"Bearer {self.stack.api_keys[role]}"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._unless_gone(method, path)
            if signed:  # signed again on every attempt: the timestamp must be fresh
                headers.update(signed_headers(self.stack.signing_secrets[role], content or b"", int(time.time())))
            self.traffic.requests += 1
            try:
                async with self.gates[service]:
                    response = await client.request(method, path, content=content, params=params, headers=headers)
            except httpx.TimeoutException:
                error = ApiError("timeout", method, path)
            except httpx.TransportError as failure:
                error = ApiError("connection", method, path, detail=type(failure).__name__)
            else:
                if response.status_code < 300:
                    return response.json() if response.content else None
                kind, detail = _problem_kind(response)
                error = ApiError(kind, method, path, response.status_code, detail)
                if response.status_code not in RETRYABLE_STATUS:
                    if not quiet and response.status_code not in expected:
                        self.traffic.failed(error)
                    raise error
            if attempt == MAX_ATTEMPTS or quiet:
                if not quiet:
                    self.traffic.failed(error)
                raise error
            self.traffic.retries += 1
            self.traffic.errors[f"retried: {error.kind}"] += 1
            await asyncio.sleep(min(5.0, 0.25 * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")

    async def browse(self, method: str, service: str, path: str, *, form: dict[str, str] | None = None) -> httpx.Response:
        """A person's browser: no API key, HTML back, a form posted url-encoded. Transport errors
        and 5xx are retried (the form's answer is once per survey, so a repeat is refused, not doubled);
        any other answer is the caller's to read."""
        headers = {"Accept": "text/html"}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._unless_gone(method, path)
            self.traffic.requests += 1
            try:
                async with self.gates[service]:
                    response = await self.clients[service].request(method, path, data=form, headers=headers)
            except httpx.TimeoutException:
                error = ApiError("timeout", method, path)
            except httpx.TransportError as failure:
                error = ApiError("connection", method, path, detail=type(failure).__name__)
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    return response
                error = ApiError(f"http_{response.status_code}", method, path, response.status_code)
            if attempt == MAX_ATTEMPTS:
                self.traffic.failed(error)
                raise error
            self.traffic.retries += 1
            self.traffic.errors[f"retried: {error.kind}"] += 1
            await asyncio.sleep(min(5.0, 0.25 * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")
