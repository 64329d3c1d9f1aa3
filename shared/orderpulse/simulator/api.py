"""Typed calls to the services' public APIs (api.md, and the additions in the services' decision
docs), each with the role that may make it. Bodies are plain JSON; times are sent with milliseconds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orderpulse.simulator.clients import ApiError, Transport, format_time
from orderpulse.simulator.world import Customer, Item

ORDER, FULFILLMENT, NOTIFY, FEEDBACK, KPI = "order-svc", "fulfillment-svc", "notify-svc", "feedback-svc", "kpi-svc"


class OrderApi:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    async def upsert_catalog_item(self, item: Item, currency: str = "USD") -> dict:
        body = {"name": item.name, "unit_price": item.price_text, "currency": currency,
                "max_quantity": item.max_quantity}
        return await self.t.call("PUT", ORDER, f"/v1/catalog/{item.sku}", role="admin", body=body)

    async def upsert_customer(self, customer: Customer, occurred_at: datetime | None = None) -> dict:
        body = customer.profile_json()
        if occurred_at is not None:
            body["occurred_at"] = format_time(occurred_at)
        return await self.t.call("PUT", ORDER, f"/v1/customers/{customer.customer_id}", role="storefront", body=body)

    async def place(self, body: dict, key: str) -> dict:
        return await self.t.call("POST", ORDER, "/v1/orders", role="storefront", body=body, idempotency_key=key)

    async def correct(self, order_id: str, body: dict, key: str) -> dict:
        return await self.t.call("POST", ORDER, f"/v1/orders/{order_id}/corrections", role="storefront", body=body,
                                 idempotency_key=key)

    async def cancel(self, order_id: str, reason: str, at: datetime, key: str) -> dict:
        return await self.t.call("POST", ORDER, f"/v1/orders/{order_id}/cancel", role="storefront",
                                 body={"reason": reason, "occurred_at": format_time(at)}, idempotency_key=key)

    async def request_return(self, order_id: str, body: dict, key: str) -> dict:
        return await self.t.call("POST", ORDER, f"/v1/orders/{order_id}/returns", role="storefront", body=body,
                                 idempotency_key=key)

    async def payment_callback(self, body: dict, key: str) -> dict:
        return await self.t.call("POST", ORDER, "/v1/payments/callbacks", role="payments", body=body,
                                 idempotency_key=key, signed=True)

    async def order(self, order_id: str) -> dict:
        return await self.t.call("GET", ORDER, f"/v1/orders/{order_id}", role="storefront")

    async def timeline(self, order_id: str) -> list[dict]:
        """Every lifecycle event of the order from every service, in event-time order."""
        return await _all_pages(self.t, ORDER, f"/v1/orders/{order_id}/timeline", "support", {})


class FulfillmentApi:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    async def set_stock(self, warehouse: str, sku: str, on_hand: int) -> dict:
        return await self.t.call("PUT", FULFILLMENT, f"/v1/warehouses/{warehouse}/stock/{sku}", role="warehouse",
                                 body={"on_hand": on_hand})

    async def stock(self, warehouse: str) -> dict[str, dict]:
        """Every sku's on_hand / reserved / available in one warehouse."""
        levels: dict[str, dict] = {}
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            page = await self.t.call("GET", FULFILLMENT, f"/v1/warehouses/{warehouse}/stock", role="warehouse",
                                     params=params)
            levels.update({item["sku"]: item for item in page["items"]})
            cursor = page.get("next_cursor")
            if not cursor:
                return levels

    async def fulfillment_of(self, order_id: str) -> dict | None:
        page = await self.t.call("GET", FULFILLMENT, "/v1/fulfillments", role="warehouse",
                                 params={"order_id": order_id, "limit": 5})
        return page["items"][0] if page["items"] else None

    async def work_queue(self, status: str = "open", cursor: str | None = None, limit: int = 200) -> dict:
        """A page of the work queue (every warehouse), oldest ship deadline first."""
        params = {"status": status, "limit": limit, **({"cursor": cursor} if cursor else {})}
        return await self.t.call("GET", FULFILLMENT, "/v1/fulfillments", role="warehouse", params=params)

    async def pack(self, fulfillment_id: str, body: dict, key: str) -> dict:
        return await self.t.call("POST", FULFILLMENT, f"/v1/fulfillments/{fulfillment_id}/pack", role="warehouse",
                                 body=body, idempotency_key=key)

    async def dispatch(self, fulfillment_id: str, body: dict, key: str) -> dict:
        return await self.t.call("POST", FULFILLMENT, f"/v1/fulfillments/{fulfillment_id}/dispatch",
                                 role="warehouse", body=body, idempotency_key=key)

    async def close(self, fulfillment_id: str, reason: str, at: datetime, key: str) -> dict:
        return await self.t.call("POST", FULFILLMENT, f"/v1/fulfillments/{fulfillment_id}/close", role="warehouse",
                                 body={"reason": reason, "occurred_at": format_time(at)}, idempotency_key=key)

    async def receive_return(self, return_id: str, body: dict, key: str) -> dict | None:
        """The receipt; None while fulfillment-svc has not heard of the return request yet (404)."""
        try:
            return await self.t.call("POST", FULFILLMENT, f"/v1/returns/{return_id}/receive", role="warehouse",
                                     body=body, idempotency_key=key, expected=frozenset({404}))
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    async def record_shift(self, warehouse: str, body: dict) -> dict:
        return await self.t.call("POST", FULFILLMENT, f"/v1/warehouses/{warehouse}/labor-shifts", role="warehouse",
                                 body=body, idempotency_key=f"shift-{body['shift_id']}")

    async def carrier_events(self, carrier: str, events: list[dict]) -> dict:
        return await self.t.call("POST", FULFILLMENT, f"/v1/carriers/{carrier}/events", role=f"carrier:{carrier}",
                                 body={"events": events}, signed=True)


class KpiApi:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    async def kpis(self, window: str) -> dict:
        """GET /v1/kpis?window=... (support, account_manager and admin may read; a failure is the caller's to judge)."""
        return await self.t.call("GET", KPI, "/v1/kpis", role="admin", params={"window": window}, quiet=True)

    async def failures(self, window: str) -> dict:
        """The perfect-order failure Pareto: failed orders per component and reason, largest first."""
        return await self.t.call("GET", KPI, "/v1/kpis/perfect-order/failures", role="admin",
                                 params={"window": window}, quiet=True)


class NotifyApi:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    async def set_preferences(self, customer_id: str, body: dict) -> dict:
        return await self.t.call("PUT", NOTIFY, f"/v1/customers/{customer_id}/preferences", role="storefront",
                                 body=body)

    async def notifications(self, order_id: str) -> list[dict]:
        """What the customer of the order was told (sent, pending, failed, suppressed), oldest first;
        nothing for an order notify-svc has not heard of (404)."""
        try:
            page = await self.t.call("GET", NOTIFY, f"/v1/orders/{order_id}/notifications", role="support", quiet=True)
        except ApiError as error:
            if error.status == 404:
                return []
            self.t.traffic.failed(error)
            raise
        return page["items"]

    async def open_calls(self, account_manager: str) -> list[dict]:
        return await _all_pages(self.t, NOTIFY, "/v1/courtesy-calls", "account_manager",
                                {"status": "open", "account_manager": account_manager})

    async def complete_call(self, call_id: str, body: dict) -> dict:
        return await self.t.call("POST", NOTIFY, f"/v1/courtesy-calls/{call_id}/complete", role="account_manager",
                                 body=body, idempotency_key=f"call-{call_id}")


class FeedbackApi:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    async def surveys(self, order_id: str) -> list[dict]:
        page = await self.t.call("GET", FEEDBACK, "/v1/surveys", role="support", params={"order_id": order_id})
        return page["items"]

    async def import_answer(self, token: str, body: dict) -> dict:
        """The JSON route with `occurred_at`: a trusted importer (support key) dating a past answer."""
        return await self.t.call("POST", FEEDBACK, f"/v1/surveys/{token}/responses", role="support", body=body)

    async def open_issue(self, body: dict, key: str) -> dict:
        """Quiet: an order feedback-svc has not heard of yet is the caller's to wait for."""
        return await self.t.call("POST", FEEDBACK, "/v1/issues", role="support", body=body, idempotency_key=key,
                                 quiet=True)

    async def acknowledge(self, issue_id: str, at: datetime, key: str) -> dict:
        return await self.t.call("POST", FEEDBACK, f"/v1/issues/{issue_id}/acknowledge", role="support",
                                 body={"occurred_at": format_time(at)}, idempotency_key=key)

    async def resolve(self, issue_id: str, resolution: str, at: datetime, key: str) -> dict:
        return await self.t.call("POST", FEEDBACK, f"/v1/issues/{issue_id}/resolve", role="support",
                                 body={"resolution": resolution, "occurred_at": format_time(at)}, idempotency_key=key)


async def _all_pages(t: Transport, service: str, path: str, role: str, params: dict[str, Any]) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        page = await t.call("GET", service, path, role=role,
                            params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items
