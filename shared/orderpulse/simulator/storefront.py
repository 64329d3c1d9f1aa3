"""The storefront's side (and the payment provider's): the catalog and customers, and the steps
of a story that go to order-svc — placing, correcting, payment callbacks, cancelling, returns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from orderpulse.simulator import steps as s
from orderpulse.simulator.api import NotifyApi, OrderApi
from orderpulse.simulator.clients import format_time, parse_time
from orderpulse.simulator.scenario import Story
from orderpulse.simulator.tally import OrderRecord, ms
from orderpulse.simulator.world import CATALOG, Customer, preferences_of

if TYPE_CHECKING:
    from orderpulse.simulator.stories import StoryRun



async def set_up_catalog(orders: OrderApi) -> None:
    for item in CATALOG:
        await orders.upsert_catalog_item(item)


async def set_up_customers(orders: OrderApi, customers: Iterable[Customer], since: datetime | None) -> None:
    """Registered customers exist before the first order of the history (event time `since`)."""
    for customer in customers:
        await orders.upsert_customer(customer, since)


async def set_up_preferences(notify: NotifyApi, customers: Iterable[Customer], seed: int) -> int:
    """Registered customers' notification preferences (quiet hours, SMS off); how many keep quiet hours."""
    quiet = 0
    for customer in customers:
        body = preferences_of(seed, customer)
        await notify.set_preferences(customer.customer_id, body)
        quiet += body["quiet_hours"] is not None
    return quiet


def order_body(story: Story) -> dict:
    profile = story.profile
    body = {
        "customer_id": profile.customer.customer_id,
        "lines": [{"sku": line.sku, "quantity": line.quantity, "unit_price": f"{line.shown_price:.2f}"}
                  for line in profile.lines],
        "ship_to": profile.customer.address.as_json(without_postal_code=profile.entry_mistake == "address"),
        "channel": profile.channel,
        "service_level": profile.service_level,
        "payment_status": "authorized" if profile.payment == "authorized" else "pending",
        "placed_at": format_time(story.placed_at),
    }
    if profile.requested_before_s:
        body["requested_at"] = format_time(story.placed_at - timedelta(seconds=profile.requested_before_s))
    if story.explicit_promise:
        body["promised_by"] = format_time(story.promised_by)
    return body


def correction_body(story: Story, field: str, at: datetime) -> dict:
    profile = story.profile
    body: dict = {"occurred_at": format_time(at)}
    if field == "lines":
        body["lines"] = [{"sku": line.sku, "quantity": line.quantity, "unit_price": f"{line.catalog_price:.2f}"}
                         for line in profile.lines]
        body["reason"] = "price corrected to the catalog price"
    else:
        body["ship_to"] = profile.customer.address.as_json()
        body["reason"] = "postal code added after a call with the customer"
    return body


def payment_body(order_id: str, status: str, amount: str, reference: str, at: datetime) -> dict:
    body = {"order_id": order_id, "status": status, "amount": amount, "reference": reference,
            "occurred_at": format_time(at)}
    if status == "failed":
        body["reason"] = "card declined"
    return body


def return_lines(record: OrderRecord, reason: str) -> list[dict]:
    """A damaged parcel comes back whole; otherwise one unit of the first sku delivered."""
    if reason == "damaged":
        for shipment in record.shipments.values():
            if shipment.delivered_ms is not None and (shipment.condition == "damaged" or shipment.damaged_in_transit):
                lines = shipment.delivered_lines or shipment.lines
                return [{"sku": sku, "quantity": quantity} for sku, quantity in sorted(lines.items())]
    delivered = record.delivered_units()
    sku = sorted(delivered)[0]
    return [{"sku": sku, "quantity": 1}]


def delivery_known(order: dict, lines: list[dict]) -> bool:
    """Has order-svc followed the deliveries far enough to accept a return of `lines`?"""
    delivered: dict[str, int] = {}
    for shipment in order.get("shipments", []):
        for line in shipment.get("delivered_lines", []):
            delivered[line["sku"]] = delivered.get(line["sku"], 0) + line["quantity"]
    return all(delivered.get(line["sku"], 0) >= line["quantity"] for line in lines)


# --- a story's steps at the storefront ---------------------------------------------------

async def place_order(run: StoryRun, step: s.PlaceOrder) -> bool:
    story, profile = run.story, run.story.profile
    if profile.customer.tier == "one_time":
        await run.desk.orders.upsert_customer(profile.customer, step.at)
    answer = await run.desk.orders.place(order_body(story), f"{run.key}-place")
    expected = "held" if profile.entry_mistake else ("confirmed" if profile.payment == "authorized" else "pending_payment")
    run.expect(answer["status"] == expected, "unexpected status at placing", answer["status"], expected)
    run.total = answer["total"]
    run.prices = {line["sku"]: Decimal(line["unit_price"]) for line in answer["lines"]}
    record = OrderRecord(
        index=story.index, order_id=answer["order_id"], tier=profile.customer.tier, channel=profile.channel,
        service_level=profile.service_level, placed_ms=ms(story.placed_at),
        promised_ms=ms(parse_time(answer["promised_by"])),
        ship_deadline_ms=ms(run.desk.calendar.ship_deadline(story.placed_at)),
        ordered={line.sku: line.quantity for line in profile.lines}, status=answer["status"],
        entry_fault=bool(answer["entry_discrepancies"]), live=run.live,
    )
    run.record = record
    run.desk.tally.add(record)
    run.desk.tally.in_flight += 1
    run.desk.tally.stories_started += 1
    run.desk.tally.count("placed")
    run.desk.tally.count(f"held for {profile.entry_mistake}" if profile.entry_mistake else "placed clean")
    return True


async def correct_order(run: StoryRun, step: s.CorrectOrder) -> bool:
    record = run.order()
    answer = await run.desk.orders.correct(record.order_id, correction_body(run.story, step.field, step.at),
                                            f"{run.key}-correct")
    run.total = answer["total"]
    run.prices = {line["sku"]: Decimal(line["unit_price"]) for line in answer["lines"]}
    record.corrected = record.entry_fault = True
    record.status = answer["status"]
    run.expect(answer["status"] != "held", "still held after the correction", answer["status"], "released")
    run.desk.tally.count("held and corrected")
    return True


async def payment_callback(run: StoryRun, step: s.PaymentCallback) -> bool:
    record = run.order()
    reference = f"pay-{run.key}-{step.status}"
    body = payment_body(record.order_id, step.status, run.total, reference, step.at)
    answer = await run.desk.orders.payment_callback(body, f"{run.key}-pay-{step.status}")
    record.status = answer["status"]
    record.payment_failed |= step.status == "failed"
    run.desk.tally.count(f"payment {step.status}")
    return True


async def cancel_order(run: StoryRun, step: s.CancelOrder) -> bool:
    record = run.order()
    await run.desk.orders.cancel(record.order_id, step.reason, step.at, f"{run.key}-cancel")
    record.cancelled_ms = ms(step.at)
    record.status = "cancelled"
    run.desk.tally.count("cancelled")
    return True


async def request_return(run: StoryRun, step: s.RequestReturn) -> bool:
    record = run.order()
    if record.completion() is None:
        return True  # nothing arrived: nothing to send back
    lines = return_lines(record, step.reason)
    if not delivery_known(await run.desk.orders.order(record.order_id), lines):
        return run.not_yet("order-svc to follow the delivery (the return needs it)")
    body = {"lines": lines, "reason": step.reason, "kind": step.kind, "occurred_at": format_time(step.at)}
    answer = await run.desk.orders.request_return(record.order_id, body, f"{run.key}-return")
    run.return_id, run.return_body = answer["return_id"], lines
    record.returns += 1
    if step.reason == "damaged":
        record.damage_claims_ms.append(ms(step.at))
    run.desk.tally.count(f"return requested ({step.reason})")
    return True
