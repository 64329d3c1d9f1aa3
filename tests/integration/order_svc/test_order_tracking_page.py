"""The customer's tracking page through order-svc: milestones and parcels from the real timeline,
in the customer's language, opened only by a genuine, unexpired link for that order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from order_stack import CUSTOMER, created, delivered, dispatched, event, place, publish, seed, timeline_ids
from order_svc.bootstrap import build_app
from order_svc.settings import OrderSettings
from orderpulse.signed_tokens import TokenSigner
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import TEST_SIGNING_SECRETS, auth, running_app, service_settings

TRACKING_SECRET = "test-secret-tracking-links-0123456789"
links = TokenSigner(TRACKING_SECRET, purpose="tracking")


@pytest.fixture
def settings(infrastructure, clean_schema) -> OrderSettings:
    return service_settings(
        OrderSettings, infrastructure, signing_secrets={**TEST_SIGNING_SECRETS, "tracking": TRACKING_SECRET}
    )


def link(order_id: str, *, valid_for: timedelta = timedelta(days=30)) -> str:
    return f"/track/{links.sign(order_id, expires_at=datetime.now(UTC) + valid_for)}"


def at(order: dict, hours: float) -> datetime:
    return datetime.fromisoformat(order["placed_at"]) + timedelta(hours=hours)


async def shipped_in_two_parcels_one_delivered(client, producer) -> dict:
    await seed(client)
    order = await place(client)
    facts = [
        created(order, at(order, 1)),
        dispatched(order, "shp_1", at(order, 2), ("MUG-1", 2)),
        dispatched(order, "shp_2", at(order, 3), ("TEE-1", 1)),
        event("shipment.out_for_delivery.v1", order["order_id"], at(order, 20), shipment_id="shp_1", carrier="ups"),
        delivered(order, "shp_1", at(order, 26), ("MUG-1", 2)),
    ]
    await publish(producer, *facts)

    async def all_in_timeline():
        return {fact.id for fact in facts} <= set(await timeline_ids(client, order["order_id"]))

    await eventually(all_in_timeline)
    return order


async def test_the_page_shows_the_orders_milestones_and_parcels_without_an_api_key(client, producer):
    order = await shipped_in_two_parcels_one_delivered(client, producer)

    page = await client.get(link(order["order_id"]))

    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "script-src" not in page.headers["content-security-policy"] and "<script" not in page.text
    html = page.text
    assert '<html lang="en">' in html
    assert f"Your order {order['order_id']}" in html
    assert '<dd class="status">Shipped</dd>' in html
    progress = html[html.index('id="progress"'):html.index('id="parcels"')]
    names = ["Delivered", "Out for delivery", "Shipped", "Order confirmed", "Order placed"]
    positions = [progress.index(f'<span class="name">{name}</span>') for name in names]
    assert positions == sorted(positions), "newest milestone first"
    assert "Parcels (2)" in html
    assert "Parcel 1: Delivered" in html and "Parcel 2: Shipped" in html
    assert "1Zshp_1" in html and "1Zshp_2" in html and "UPS" in html
    assert "2 × MUG-1" in html and "1 × TEE-1" in html
    assert "Europe/London" in html  # the customer's timezone
    assert CUSTOMER["email"] not in html and CUSTOMER["name"] not in html and "Upper St" not in html


async def test_a_german_customer_reads_the_page_in_german(client, producer):
    await seed(client, "cus_de")
    response = await client.put(
        "/v1/customers/cus_de", json={**CUSTOMER, "locale": "de-DE", "timezone": "Europe/Berlin"},
        headers=auth("storefront"),
    )
    assert response.status_code == 200, response.text
    order = await place(client, customer_id="cus_de")

    html = (await client.get(link(order["order_id"]))).text

    assert '<html lang="de">' in html
    assert f"Ihre Bestellung {order['order_id']}" in html
    assert "Bestellung bestätigt" in html and "Es wurde noch nichts versandt." in html
    assert "Europe/Berlin" in html and " Uhr" in html


async def test_a_link_opens_its_own_order_and_never_another_customers(client):
    await seed(client, "cus_1")
    await seed(client, "cus_2")
    mine = await place(client, customer_id="cus_1")
    theirs = await place(client, customer_id="cus_2")

    html = (await client.get(link(mine["order_id"]))).text

    assert mine["order_id"] in html and theirs["order_id"] not in html


async def test_forged_foreign_and_unknown_links_are_a_not_found_page(client):
    await seed(client)
    order = await place(client)
    genuine = link(order["order_id"])
    payload, signature = genuine.removeprefix("/track/").split(".")
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    survey_link = TokenSigner(TRACKING_SECRET, purpose="survey").sign(order["order_id"], expires_at=tomorrow)
    other_secret = TokenSigner("somebody-else's-secret-0123456789", purpose="tracking").sign(
        order["order_id"], expires_at=tomorrow
    )

    for path in (
        f"/track/{payload}.{signature[:-2]}xx",  # the signature tampered with
        f"/track/{payload}",  # no signature at all
        f"/track/{survey_link}",  # a survey link does not open a tracking page
        f"/track/{other_secret}",
        link("ord_does_not_exist"),
        "/track/" + "a" * 3000,
    ):
        page = await client.get(path)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")
        assert "Tracking link not found" in page.text and order["order_id"] not in page.text


async def test_an_expired_link_is_a_gone_page_in_the_browsers_language(client):
    await seed(client)
    order = await place(client)
    expired = link(order["order_id"], valid_for=timedelta(seconds=-1))

    english = await client.get(expired)
    german = await client.get(expired, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})

    assert english.status_code == 410 and "This tracking link has expired" in english.text
    assert order["order_id"] not in english.text
    assert german.status_code == 410 and "Dieser Link zur Sendungsverfolgung ist abgelaufen" in german.text


async def test_without_a_tracking_secret_no_link_opens_anything(infrastructure, clean_schema):
    async with running_app(build_app(service_settings(OrderSettings, infrastructure))) as client:
        await seed(client)
        order = await place(client)
        assert (await client.get(link(order["order_id"]))).status_code == 404


async def test_a_held_order_tells_the_customer_what_needs_fixing_without_the_internal_detail(client):
    await seed(client)
    order = await place(client, lines=[{"sku": "MUG-1", "quantity": 2, "unit_price": "9.99"}])
    assert order["status"] == "held"

    page = await client.get(link(order["order_id"]))

    assert page.status_code == 200, page.text
    assert '<dd class="status">On hold</dd>' in page.text
    assert "Order on hold" in page.text and "a price needs checking" in page.text
    assert "differs from the catalog price" not in page.text and "lines[0]" not in page.text
