"""Killing feedback-svc (SIGKILL) mid-way loses no survey and announces nothing twice: after a
restart every delivered order has exactly one survey and every overdue clock one breach (the
relay may re-send an event after a crash, under its same id, which consumers deduplicate)."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import httpx
from feedback_stack import service_environment
from orderpulse.events import FEEDBACK
from orderpulse.stack.processes import free_port
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth
from orderpulse.testing.uvicorn import serving

ORDERS = 40


def distinct_ids(probe: TopicProbe, type_suffix: str, key: str) -> dict[str, set[str]]:
    """Per `data[key]`: the distinct event ids seen."""
    seen: dict[str, set[str]] = defaultdict(set)
    for event in probe.events(type_suffix):
        seen[event["data"][key]].add(event["id"])
    return seen


async def test_a_crash_mid_way_loses_no_survey_and_repeats_no_announcement(infrastructure, clean_schema, upstream, database):
    env = service_environment(
        infrastructure, survey_delay="0s", public_urls=json.dumps({"feedback-svc": "http://feedback.test"}),
        consumer_batch_size="5", due_work_batch_size="3",
    )
    customer = await upstream.customer("crash")
    order_ids = [await upstream.place(f"o{n}", customer) for n in range(ORDERS)]
    async with TopicProbe(infrastructure.kafka_bootstrap, [FEEDBACK]) as probe:
        with serving("feedback_svc.main:app", free_port(), env) as served:
            async with httpx.AsyncClient(base_url=served.url) as client:
                issues = []
                for order_id in order_ids[:3]:
                    await _until_known(database, order_id)
                    opened = await client.post(
                        "/v1/issues", headers=auth("support"),
                        json={"order_id": order_id, "category": "late", "description": "late", "channel": "phone",
                              "occurred_at": (datetime.now(UTC) - timedelta(hours=50)).isoformat()},
                    )
                    assert opened.status_code == 201 and opened.json()["breached"] == ["ack", "resolve"]
                    issues.append(opened.json()["issue_id"])

            # the first delivery's survey shows the consumer is in; the rest arrive while it is killed
            await upstream.complete(order_ids[0], delivered_at=datetime.now(UTC) - timedelta(minutes=1))
            await probe.wait_until(lambda _: len(distinct_ids(probe, "survey.requested.v1", "order_id")) >= 1, timeout_s=30)

            async def deliver_slowly() -> None:
                for n, order_id in enumerate(order_ids[1:]):
                    await upstream.complete(order_id, delivered_at=datetime.now(UTC) - timedelta(minutes=1))
                    if n % 5 == 4:
                        await asyncio.sleep(0.1)

            delivering = asyncio.create_task(deliver_slowly())
            await probe.wait_until(lambda _: len(distinct_ids(probe, "survey.requested.v1", "order_id")) >= 5, timeout_s=30)
            served.kill()  # SIGKILL mid-way: no shutdown runs, completions are still arriving
        await delivering

        with serving("feedback_svc.main:app", free_port(), env):
            await probe.wait_until(lambda _: len(distinct_ids(probe, "survey.requested.v1", "order_id")) == ORDERS, timeout_s=60)
            await probe.settle(3.0)

    surveys = distinct_ids(probe, "survey.requested.v1", "order_id")
    assert sorted(surveys) == sorted(order_ids)
    assert all(len(ids) == 1 for ids in surveys.values()), {o: ids for o, ids in surveys.items() if len(ids) > 1}
    breaches = defaultdict(set)
    for event in probe.events("issue.sla_breached.v1"):
        breaches[(event["data"]["issue_id"], event["data"]["clock"])].add(event["id"])
    assert sorted(breaches) == sorted((issue, clock) for issue in issues for clock in ("ack", "resolve"))
    assert all(len(ids) == 1 for ids in breaches.values())
    # the table also holds surveys of other tests' orders (the service reads the shared topics from
    # their start, and an order never placed there waits as `scheduled`): ask about ours
    rows = await database(
        "SELECT order_id, survey_id, status FROM surveys WHERE order_id = ANY(:orders)", orders=order_ids
    )
    announced = {event["data"]["order_id"]: event["data"]["survey_id"] for event in probe.events("survey.requested.v1")}
    assert sorted((row.order_id, row.survey_id, row.status) for row in rows) == sorted(
        (order_id, announced[order_id], "requested") for order_id in order_ids
    )


async def _until_known(database, order_id: str) -> None:
    await eventually(lambda: database("SELECT 1 FROM known_orders WHERE order_id = :o", o=order_id))
