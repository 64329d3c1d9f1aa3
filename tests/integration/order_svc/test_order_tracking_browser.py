"""A customer opens the tracking link from an email in a real browser (no JavaScript) and reads it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import httpx
from aiokafka import AIOKafkaProducer
from order_stack import dispatched, place, publish, seed, timeline_ids
from order_svc.bootstrap import build_app
from order_svc.settings import OrderSettings
from orderpulse.signed_tokens import TokenSigner
from orderpulse.testing.browser import run_beside_browser
from orderpulse.testing.http_server import serving
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import TEST_SIGNING_SECRETS, service_settings

TRACKING_SECRET = "test-secret-tracking-links-0123456789"


async def an_order_with_one_parcel_on_its_way(base_url: str, kafka_bootstrap: str) -> dict:
    async with httpx.AsyncClient(base_url=base_url) as client:
        await seed(client)
        order = await place(client)
        dispatch = dispatched(order, "shp_1", datetime.fromisoformat(order["placed_at"]) + timedelta(hours=2))
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await publish(producer, dispatch)
        finally:
            await producer.stop()

        async def in_timeline():
            return dispatch.id in await timeline_ids(client, order["order_id"])

        await eventually(in_timeline)
    return order


def test_a_customer_reads_their_order_and_a_forged_link_finds_nothing(infrastructure, clean_schema, browser):
    settings = service_settings(
        OrderSettings, infrastructure, signing_secrets={**TEST_SIGNING_SECRETS, "tracking": TRACKING_SECRET}
    )
    with serving(build_app(settings)) as base_url:
        order = run_beside_browser(an_order_with_one_parcel_on_its_way(base_url, infrastructure.kafka_bootstrap))
        order_id = order["order_id"]
        token = TokenSigner(TRACKING_SECRET, purpose="tracking").sign(
            order_id, expires_at=datetime.now(UTC) + timedelta(days=30)
        )
        page = browser.new_page(java_script_enabled=False)
        try:
            response = page.goto(f"{base_url}/track/{token}")
            assert response is not None and response.status == 200
            assert page.title() == f"Order {order_id}"
            assert page.get_by_role("heading", level=1).inner_text() == f"Your order {order_id}"
            progress = page.get_by_role("list", name="Progress").get_by_role("listitem")
            steps = [item.inner_text() for item in progress.all()]
            assert [step.splitlines()[0] for step in steps] == ["Shipped · Parcel 1", "Order confirmed", "Order placed"]
            parcel = page.get_by_role("region", name="Parcel 1")
            assert parcel.is_visible()
            assert "1Zshp_1" in parcel.inner_text() and "UPS" in parcel.inner_text()
            if os.environ.get("ORDERPULSE_SCREENSHOTS"):
                page.screenshot(path=os.path.join(os.environ["ORDERPULSE_SCREENSHOTS"], "tracking.png"), full_page=True)

            forged = page.goto(f"{base_url}/track/{token[:-3]}abc")
            assert forged is not None and forged.status == 404
            assert page.get_by_role("heading", level=1).inner_text() == "Tracking link not found"
            assert order_id not in page.content()
        finally:
            page.close()
