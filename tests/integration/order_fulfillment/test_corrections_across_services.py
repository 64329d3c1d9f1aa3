"""A customer's correction while the warehouse has the order, with both services running: applied
while nothing is packed, and reported not applied (and undone) when packing won the race."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
from fulfillment_svc.bootstrap import build_app as fulfillment_app
from order_svc.bootstrap import build_app as order_app
from orderpulse.business_days import BusinessCalendar
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth, running_app

HOME = {"country": "GB", "region": "London", "city": "London", "postal_code": "N1 9GU", "line1": "1 Upper St"}
BROOKLYN = {"country": "US", "region": "NY", "city": "Brooklyn", "postal_code": "11201", "line1": "5 Court St"}


class Shop:
    def __init__(self, orders: httpx.AsyncClient, suffix: str) -> None:
        self.orders, self.sku = orders, f"MUG-{suffix}"

    async def seed(self) -> None:
        item = {"name": "Mug", "unit_price": "12.50", "currency": "USD", "max_quantity": 10}
        assert (await self.orders.put(f"/v1/catalog/{self.sku}", json=item, headers=auth("admin"))).status_code == 201
        customer = {"tier": "standard", "name": "Ada", "email": "ada@example.com", "phone": "+44 20 7946 0000"}
        assert (await self.orders.put("/v1/customers/cus-x", json=customer, headers=auth("storefront"))).status_code in (200, 201)

    async def place(self) -> dict:
        body = {"customer_id": "cus-x", "lines": [{"sku": self.sku, "quantity": 2, "unit_price": "12.50"}],
                "ship_to": HOME, "channel": "web", "service_level": "standard"}
        headers = {**auth("storefront"), "Idempotency-Key": f"k-{time.monotonic_ns()}"}
        answer = await self.orders.post("/v1/orders", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def order(self, order_id: str) -> dict:
        return (await self.orders.get(f"/v1/orders/{order_id}", headers=auth("support"))).json()

    async def correct_address(self, order_id: str) -> httpx.Response:
        body = {"ship_to": BROOKLYN, "reason": "the customer moved"}
        return await self.orders.post(f"/v1/orders/{order_id}/corrections", json=body, headers=auth("support"))


async def fulfillment_of(warehouse: httpx.AsyncClient, order_id: str) -> dict | None:
    answer = await warehouse.get("/v1/fulfillments", params={"order_id": order_id}, headers=auth("warehouse"))
    items = answer.json()["items"]
    return items[0] if items else None


async def taken_up(shop: Shop, warehouse: httpx.AsyncClient, order_id: str) -> dict:
    fulfillment = await eventually(lambda: fulfillment_of(warehouse, order_id))

    async def in_fulfillment():
        return (await shop.order(order_id))["status"] == "in_fulfillment"

    await eventually(in_fulfillment)
    return fulfillment


async def test_a_correction_is_applied_before_packing_and_reported_not_applied_when_packing_won(
    order_settings, fulfillment_settings, suffix
):
    async with running_app(order_app(order_settings)) as orders:
        shop = Shop(orders, suffix)
        await shop.seed()
        async with running_app(fulfillment_app(fulfillment_settings)) as warehouse:
            stock = await warehouse.put(f"/v1/warehouses/wh-{suffix}/stock/{shop.sku}", json={"on_hand": 10},
                                        headers=auth("warehouse"))
            assert stock.status_code == 200, stock.text
            early, late = await shop.place(), await shop.place()
            opened = await taken_up(shop, warehouse, early["order_id"])
            await taken_up(shop, warehouse, late["order_id"])

            # the ship deadline the warehouse works to is kpis.md's: placement + 2 business days
            placed = datetime.fromisoformat(early["placed_at"])
            assert datetime.fromisoformat(opened["ship_deadline"]) == BusinessCalendar().ship_deadline(placed)

            # nothing packed yet: the warehouse re-plans the order and order-svc hears it applied
            assert (await shop.correct_address(early["order_id"])).status_code == 200

            async def applied():
                return [c["outcome"] for c in (await shop.order(early["order_id"]))["corrections"]] == ["applied"]

            await eventually(applied)
            assert (await fulfillment_of(warehouse, early["order_id"]))["ship_to"]["city"] == "Brooklyn"

        # the warehouse's consumer is down: the correction of `late` waits on the orders topic ...
        accepted = await shop.correct_address(late["order_id"])
        assert accepted.status_code == 200
        assert accepted.json()["corrections"][0]["outcome"] == "awaiting_warehouse"
        # ... while a picker packs it (the API alone: the packed event waits in the outbox)
        idle = fulfillment_app(fulfillment_settings)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=idle), base_url="http://w") as picker:
                fulfillment = await fulfillment_of(picker, late["order_id"])
                body = {"lines": [{"sku": shop.sku, "quantity": 2}],
                        "documents": [{"kind": "packing_slip", "ref": "PS-1", "lines": [{"sku": shop.sku, "quantity": 2}]}]}
                packed = await picker.post(f"/v1/fulfillments/{fulfillment['fulfillment_id']}/pack", json=body,
                                           headers=auth("warehouse"))
                assert packed.status_code == 201, packed.text
        finally:
            await idle.state.platform.stop()

        # the warehouse is back: it ignores the late re-confirmation, publishes the pack, and
        # order-svc reports the correction as not applied and restores what ships
        async with running_app(fulfillment_app(fulfillment_settings)) as warehouse:

            async def reported():
                order = await shop.order(late["order_id"])
                return order if [c["outcome"] for c in order["corrections"]] == ["not_applied", "restored"] else None

            order = await eventually(reported, timeout_s=45)
            assert order["ship_to"]["city"] == "London"
            assert (await fulfillment_of(warehouse, late["order_id"]))["ship_to"]["city"] == "London"
            refused = await shop.correct_address(late["order_id"])
            assert refused.status_code == 409 and refused.json()["type"].endswith("/correction-after-packing")
            timeline = (await orders.get(f"/v1/orders/{late['order_id']}/timeline", headers=auth("support"))).json()
            restore = [e for e in timeline["items"] if e["type"].endswith("order.corrected.v1")][-1]
            assert "not applied" in restore["data"]["corrections"][0]["reason"]
