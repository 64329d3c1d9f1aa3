"""Issue SLA clocks against the real database and broker: breaches published the moment a clock
passes, once per (issue, clock), across restarts and competing due-work passes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from feedback_stack import feedback_settings
from feedback_svc.bootstrap import build_app
from feedback_svc.service_layer.due_work import run_due
from orderpulse.events import FEEDBACK, validate_data
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth, running_app


def breaches(probe: TopicProbe) -> list[tuple[str, str]]:
    return sorted((e["data"]["issue_id"], e["data"]["clock"]) for e in probe.events("issue.sla_breached.v1"))


async def known_order(database, upstream, name: str) -> str:
    """An order feedback-svc has learned from `order.placed`."""
    customer = await upstream.customer(name)
    order_id = await upstream.place(name, customer)
    await eventually(lambda: database("SELECT 1 FROM known_orders WHERE order_id = :o AND customer_id IS NOT NULL", o=order_id))
    return order_id


async def open_issue(client, order_id: str, *, hours_ago: float = 0, category: str = "damaged", role: str = "support") -> dict:
    body = {"order_id": order_id, "category": category, "description": "The box arrived crushed.", "channel": "email"}
    if hours_ago:
        body["occurred_at"] = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
    response = await client.post("/v1/issues", json=body, headers=auth(role))
    assert response.status_code == 201, response.text
    return response.json()


async def test_clocks_breach_at_once_when_overdue_the_moment_they_pass_and_never_twice_across_restarts(
    infrastructure, clean_schema, upstream, database
):
    # the loop looks at most every 30 s unless told: a breach within seconds of its due time shows
    # that it sleeps exactly until the next clock passes
    settings = feedback_settings(infrastructure, issue_ack_within="4s", issue_resolve_within="1h", due_work_max_sleep_s=30.0)
    async with TopicProbe(infrastructure.kafka_bootstrap, [FEEDBACK]) as probe:
        async with running_app(build_app(settings)) as client:
            unknown = await client.post("/v1/issues", json={"order_id": "ord-nobody", "category": "late", "description": "x", "channel": "email"},
                                        headers=auth("support"))
            assert unknown.status_code == 422 and unknown.json()["field"] == "order_id"
            order_id = await known_order(database, upstream, "ada")
            assert (await client.post("/v1/issues", json={"order_id": order_id}, headers=auth("warehouse"))).status_code == 403

            # opened 30 h ago: both clocks are already past due, breached at once, listed as breached
            overdue = await open_issue(client, order_id, hours_ago=30, role="storefront")
            assert overdue["breached"] == ["ack", "resolve"]
            await probe.wait_until(lambda _: len(breaches(probe)) >= 2)

            # a live clock: breached the moment its due time passes, not at some later poll
            live = await open_issue(client, order_id)
            in_time = await open_issue(client, order_id, category="billing")
            acked = await client.post(f"/v1/issues/{in_time['issue_id']}/acknowledge", headers=auth("support"))
            assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
            await probe.wait_until(lambda _: (live["issue_id"], "ack") in breaches(probe), timeout_s=20)
            [live_breach] = [e for e in probe.events("issue.sla_breached.v1") if e["data"]["issue_id"] == live["issue_id"]]
            validate_data(live_breach["type"], live_breach["data"])
            due = datetime.fromisoformat(live["ack_due"])
            published = datetime.fromtimestamp(
                next(r.timestamp for r in probe.records if live_breach["id"].encode() in r.value) / 1000, UTC
            )
            assert timedelta(0) <= published - due < timedelta(seconds=3)
            assert datetime.fromisoformat(live_breach["time"]) == due

            queue = (await client.get("/v1/issues", params={"order_id": order_id, "breached": "true"}, headers=auth("support"))).json()
            assert [i["issue_id"] for i in queue["items"]] == [overdue["issue_id"], live["issue_id"]]
            everything = (await client.get("/v1/issues", params={"order_id": order_id, "limit": 2}, headers=auth("support"))).json()
            rest = (await client.get("/v1/issues", params={"order_id": order_id, "cursor": everything["next_cursor"]},
                                     headers=auth("support"))).json()
            assert [i["issue_id"] for i in everything["items"] + rest["items"]] == [overdue["issue_id"], live["issue_id"], in_time["issue_id"]]
            assert rest["next_cursor"] is None

            resolved = await client.post(f"/v1/issues/{live['issue_id']}/resolve", json={"resolution": "replaced"}, headers=auth("support"))
            assert resolved.status_code == 200 and resolved.json()["breached"] == ["ack"]
            metrics = (await client.get("/metrics")).text
            assert 'orderpulse_feedback_issue_time_to_resolve_seconds_count{category="damaged"}' in metrics
            assert 'orderpulse_feedback_open_issues{clock="ack",state="breached"}' in metrics

        # due while no feedback-svc runs: opened through an app without its lifespan (no loop, no relay)
        idle = build_app(settings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=idle), base_url="http://idle") as idle_client:
            while_down = await open_issue(idle_client, order_id, category="late")
        await idle.state.platform.stop()
        await asyncio.sleep((datetime.fromisoformat(while_down["ack_due"]) - datetime.now(UTC)).total_seconds() + 0.5)
        mentions = "SELECT event_type FROM outbox WHERE convert_from(payload, 'UTF8') LIKE :i ORDER BY id"
        assert [row.event_type for row in await database(mentions, i=f"%{while_down['issue_id']}%")] == ["orderpulse.issue.opened.v1"]

        async with running_app(build_app(settings)):  # on start, the overdue clock is published at once
            await probe.wait_until(lambda _: (while_down["issue_id"], "ack") in breaches(probe), timeout_s=15)
            await probe.settle(3.0)

    expected = sorted([(overdue["issue_id"], "ack"), (overdue["issue_id"], "resolve"), (live["issue_id"], "ack"),
                       (while_down["issue_id"], "ack")])
    assert breaches(probe) == expected  # each once: the restart republished nothing
    assert len(probe.events("issue.opened.v1")) == 4
    rows = await database("SELECT count(*) AS n FROM outbox WHERE event_type = 'orderpulse.issue.sla_breached.v1'")
    assert rows[0].n == 4


async def test_competing_due_work_passes_breach_each_clock_once(infrastructure, clean_schema, upstream, database):
    """Two replicas' passes racing over the same due clocks: SKIP LOCKED gives each clock to one."""
    settings = feedback_settings(infrastructure, issue_ack_within="1h", database_pool_size=4)
    async with running_app(build_app(settings)) as client:
        order_id = await known_order(database, upstream, "bo")
        opened = [await open_issue(client, order_id, hours_ago=0.5) for _ in range(40)]
    replicas = [build_app(settings), build_app(settings)]  # no lifespan: only their databases and passes
    try:
        later = datetime.now(UTC) + timedelta(hours=2)
        await asyncio.gather(*(run_due(app.state.feedback, later) for app in replicas for _ in range(3)))
    finally:
        for app in replicas:
            await app.state.platform.stop()
    rows = await database(
        "SELECT payload FROM outbox WHERE event_type = 'orderpulse.issue.sla_breached.v1'"
    )
    assert len(rows) == len(opened)
    states = await database("SELECT DISTINCT ack_state FROM issues")
    assert [s.ack_state for s in states] == ["breached"]
