"""The simulator waits for the stack to finish earlier work, read from the services' /metrics."""

from __future__ import annotations

import asyncio

import httpx
from orderpulse.simulator.settling import busy_of, until_settled
from prometheus_client import CollectorRegistry, Gauge, generate_latest


def exposition(*, backlog: float = 0, lag: dict[str, float] | None = None) -> str:
    registry = CollectorRegistry()
    Gauge("orderpulse_outbox_backlog", "b", ["service"], registry=registry).labels("notify-svc").set(backlog)
    lags = Gauge("orderpulse_consumer_lag", "l", ["service", "topic", "partition"], registry=registry)
    for partition, value in (lag or {}).items():
        lags.labels("notify-svc", "orderpulse.orders", partition).set(value)
    Gauge("orderpulse_notification_queue_lag_seconds", "q", registry=registry).set(0.002)  # a sender at work
    Gauge("orderpulse_unrelated", "u", registry=registry).set(7)
    return generate_latest(registry).decode()


def test_idle_metrics_show_no_work():
    assert busy_of("notify-svc", exposition(lag={"0": 0, "1": 0})) is None


def test_work_is_summed_per_series_and_described():
    busy = busy_of("notify-svc", exposition(backlog=3, lag={"0": 4, "1": 5}))
    assert busy is not None
    assert busy.work == {"orderpulse_outbox_backlog": 3, "orderpulse_consumer_lag": 9}
    assert busy.describe() == "notify-svc: 3 outbox rows unpublished, 9 records not yet consumed"


def clients_serving(pages: list[str]) -> dict[str, httpx.AsyncClient]:
    """notify-svc answering /metrics with each page in turn (the last one from then on)."""
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/metrics"
        return httpx.Response(200, text=pages.pop(0) if len(pages) > 1 else pages[0])
    return {"notify-svc": httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://notify")}


async def test_waits_until_several_quiet_readings_in_a_row():
    busy, idle = exposition(lag={"0": 12}), exposition()
    said: list[str] = []
    clients = clients_serving([busy, idle, busy, idle, idle, idle])
    assert await until_settled(clients, said.append, what="before the run", timeout_s=30, interval_s=0.01)
    assert said == ["before the run: waiting for the stack to finish (notify-svc: 12 records not yet consumed) ..."]


async def test_gives_up_at_the_timeout_and_says_what_is_still_busy():
    said: list[str] = []
    clients = clients_serving([exposition(backlog=40)])
    assert not await until_settled(clients, said.append, what="before the run", timeout_s=0.05, interval_s=0.01)
    assert said[-1] == "before the run: gave up after 0 s; still busy: notify-svc: 40 outbox rows unpublished"


async def test_a_service_that_does_not_answer_counts_as_busy():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)
    clients = {"order-svc": httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url="http://order")}
    said: list[str] = []
    assert not await until_settled(clients, said.append, what="x", timeout_s=0.05, interval_s=0.01)
    assert said[-1] == "x: gave up after 0 s; still busy: order-svc: /metrics does not answer"


async def test_a_stop_ends_the_wait_at_once():
    stop = asyncio.Event()
    stop.set()
    assert not await until_settled(clients_serving([exposition(lag={"0": 1})]), print, what="x", timeout_s=30, stop=stop)
