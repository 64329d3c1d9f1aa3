"""Drill: PostgreSQL stopped under load (8 s here; the behaviour is the same for 30 s).

While it is down the API answers 503 problem+json with Retry-After, fast, and the RED metrics
count 503 (never 500); fulfillment-svc's consumer pauses; order-svc's relay waits. Once it is
back, every order the storefront got a 201 for is stored, published and applied downstream.
"""

from __future__ import annotations

import asyncio

import pytest
from drill_support import Storefront, eventually, order_and_fulfillment, stored_orders, unapplied_order_events
from orderpulse.observability import metrics

pytestmark = pytest.mark.solo  # timed fault drill: `make test` runs it alone after the parallel part

OUTAGE_S = 8


def _requests(status: str) -> float:
    return metrics.http_requests_total.labels("order-svc", "/v1/orders", "POST", status)._value.get()  # noqa: SLF001


def _dead_letters() -> float:
    return metrics.dlq_records_total.labels("fulfillment-svc", "orderpulse.orders")._value.get()  # noqa: SLF001


async def test_postgres_stopped_under_load_gives_503s_then_nothing_is_lost(fresh_drill_stack):
    stack = fresh_drill_stack
    before_503, before_500, before_dlq = _requests("503"), _requests("500"), _dead_letters()
    async with order_and_fulfillment(stack) as (orders, fulfillment):
        storefront = Storefront(orders)
        async with storefront.running():
            await storefront.until_accepted(30)
            await stack.stop_postgres()
            await asyncio.sleep(OUTAGE_S)
            ready = await orders.get("/readyz")
            assert ready.status_code == 503 and ready.headers["Retry-After"]
            await stack.start_postgres()
            accepted_at_restart = len(storefront.accepted)
            await storefront.until_accepted(accepted_at_restart + 30, timeout_s=60)

        refusals = storefront.refusals
        assert refusals, "the outage was never seen by the storefront"
        assert {answer.status_code for answer in refusals} == {503}, storefront.statuses
        for answer in refusals:
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert int(answer.headers["Retry-After"]) >= 1
            assert answer.json()["status"] == 503
        assert storefront.slowest_s < 10, f"a request hung for {storefront.slowest_s:.1f} s"
        assert _requests("503") - before_503 == len(refusals)
        assert _requests("500") == before_500

        assert await stored_orders(stack, storefront.accepted) == set(storefront.accepted)
        await eventually(lambda: _all_applied(stack), 60, "every order event published and applied by fulfillment-svc")
        assert (await fulfillment.get("/readyz")).status_code == 200
    assert _dead_letters() == before_dlq


async def _all_applied(stack) -> bool:
    unpublished, missing, total = await unapplied_order_events(stack)
    return unpublished == 0 and missing == 0 and total > 0
