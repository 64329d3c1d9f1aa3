"""A customer answers a survey in a real browser: feedback-svc runs as its own process (uvicorn,
settings from the environment, as `orderpulse up` starts it) against the real database and
broker; a delivered order's survey link is opened in headless Chromium, the form filled by its
labels and sent, and the answer is on the feedback topic."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from feedback_stack import Names, Upstream, feedback_settings, service_environment
from kpi_svc.manifest import MANIFEST as KPI_MANIFEST
from orderpulse.db.migrations import upgrade_async
from orderpulse.events import FEEDBACK
from orderpulse.messaging.kafka import create_producer
from orderpulse.stack.processes import free_port
from orderpulse.testing.browser import run_beside_browser
from orderpulse.testing.database import truncate_schema
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.polling import eventually_sync
from orderpulse.testing.service import auth
from orderpulse.testing.uvicorn import serving


@pytest.fixture
def feedback_process(infrastructure, feedback_schema) -> Iterator[str]:
    """feedback-svc under uvicorn with its settings in ORDERPULSE_* variables; yields its base URL."""
    run_beside_browser(truncate_schema(infrastructure.database_url, feedback_schema))
    port = free_port()
    env = service_environment(
        infrastructure, public_urls=json.dumps({"feedback-svc": f"http://127.0.0.1:{port}"}), survey_delay="0s"
    )
    with serving("feedback_svc.main:app", port, env) as served:
        yield served.url


@pytest.fixture
def kpi_process(infrastructure, kafka_topics) -> Iterator[str]:
    """kpi-svc under uvicorn in a consumer group of its own, reading the topics from the start."""
    run_beside_browser(upgrade_async(KPI_MANIFEST.migrations, infrastructure.database_url, KPI_MANIFEST.schema))
    run_beside_browser(truncate_schema(infrastructure.database_url, KPI_MANIFEST.schema))
    env = service_environment(infrastructure, consumer_group=f"kpi-svc-{uuid.uuid4().hex[:8]}", checkpoint_interval_s="0.2")
    with serving("kpi_svc.main:app", free_port(), env) as served:
        yield served.url


async def deliver_an_order(infrastructure, names: Names) -> str:
    producer = create_producer(feedback_settings(infrastructure), client_id="upstream-stand-in")
    await producer.start()
    try:
        upstream = Upstream(producer, names)
        customer = await upstream.customer("ada", locale="en-GB")
        order_id = await upstream.place("browser", customer)
        await upstream.complete(order_id, delivered_at=datetime.now(UTC) - timedelta(minutes=2))
        return order_id
    finally:
        await producer.stop()


async def feedback_received(infrastructure, order_id: str) -> list[dict]:
    async with TopicProbe(infrastructure.kafka_bootstrap, [FEEDBACK], from_beginning=True) as probe:
        await probe.wait_until(lambda _: any(e["partitionkey"] == order_id for e in probe.events("feedback.received.v1")), timeout_s=20)
        await probe.settle(1.0)
        return [e for e in probe.events("feedback.received.v1") if e["partitionkey"] == order_id]


def test_a_customer_answers_the_survey_page_in_a_real_browser_and_kpi_svc_counts_it(
    infrastructure, feedback_process, kpi_process, browser
):
    names = Names()
    order_id = run_beside_browser(deliver_an_order(infrastructure, names))

    def survey_url() -> str | None:
        listed = httpx.get(f"{feedback_process}/v1/surveys", params={"order_id": order_id}, headers=auth("support"), timeout=5)
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        return items[0]["survey_url"] if items else None

    url = eventually_sync(survey_url, timeout_s=60, what="the survey link")
    assert url.startswith(f"{feedback_process}/surveys/")

    page = browser.new_page(java_script_enabled=False)  # the page must work without JavaScript
    try:
        page.goto(url)
        assert page.get_by_role("heading", name="How was your order?").is_visible()
        assert order_id in page.content()
        page.get_by_label("4 – satisfied").check()
        page.get_by_label("How likely are you to recommend us").select_option("8")
        page.get_by_label("Accuracy: you got what you ordered").select_option("5")
        page.get_by_label("Timeliness: it arrived when promised").select_option("3")
        page.get_by_label("Anything else you want to tell us?").fill("The mug is lovely; the parcel came a day late.")
        page.get_by_role("button", name="Send my answer").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Thank you!").is_visible()
        assert order_id in page.content()

        page.goto(url)  # the link again: answered, said so in words
        assert page.get_by_role("heading", name="You have already answered").is_visible()
    finally:
        page.close()

    [received] = run_beside_browser(feedback_received(infrastructure, order_id))
    assert received["data"]["csat"] == 4
    assert received["data"]["nps"] == 8
    assert received["data"]["aspects"] == {"accuracy": 5, "timeliness": 3}
    assert received["data"]["comment"] == "The mug is lovely; the parcel came a day late."

    # kpi-svc, reading the same topics, counts the answer in csat; a damage issue is a claim that
    # revises the order's perfect-order verdict
    def scorecard() -> dict | None:
        answer = httpx.get(f"{kpi_process}/v1/orders/{order_id}/scorecard", headers=auth("support"), timeout=5)
        return answer.json() if answer.status_code == 200 else None

    card = eventually_sync(lambda: (c := scorecard()) and c["kpis"]["csat"] and c, timeout_s=60, what="the answer in kpi-svc")
    assert [entry["csat"] for entry in card["kpis"]["csat"]] == [4]
    kpis = httpx.get(f"{kpi_process}/v1/kpis", params={"window": "24h"}, headers=auth("support"), timeout=5).json()
    assert kpis["kpis"]["csat"]["denominator"] >= 1
    assert card["components"]["damage_free"]["holds"] is True

    claim = httpx.post(
        f"{feedback_process}/v1/issues", headers=auth("support"), timeout=5,
        json={"order_id": order_id, "category": "damaged", "description": "The handle broke off.", "channel": "email"},
    )
    assert claim.status_code == 201, claim.text
    card = eventually_sync(lambda: (c := scorecard()) and c["components"]["damage_free"]["holds"] is False and c,
                         timeout_s=30, what="the claim in kpi-svc")
    assert card["components"]["damage_free"]["reason"] == "damage_issue"
    assert [issue["issue_id"] for issue in card["kpis"]["issues"]] == [claim.json()["issue_id"]]
    assert [revision["component"] for revision in card["revisions"]] == ["damage_free"]
