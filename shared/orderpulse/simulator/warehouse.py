"""The warehouses' side of a story: packing with documents (right, or wrong on purpose), re-packing
or dispatching anyway, split shipments after a restock, closing short, receiving returns."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from orderpulse.simulator import steps as s
from orderpulse.simulator.clients import format_time
from orderpulse.simulator.tally import ShipmentRecord, money, ms
from orderpulse.simulator.world import SHIPPING_COST

if TYPE_CHECKING:
    from orderpulse.simulator.stories import StoryRun

RESTOCK_AGAIN_EVERY = 10  # waits for a fill before counting the missing units in again
GIVE_UP_FILL_AFTER = 40  # waits (about a minute) before a backorder is closed short


def _lines(units: dict[str, int]) -> list[dict]:
    return [{"sku": sku, "quantity": quantity} for sku, quantity in sorted(units.items()) if quantity > 0]


def documents_for(units: dict[str, int], prices: dict[str, Decimal], variant: str, ref: str) -> list[dict]:
    """An invoice and a packing slip for the packed `units`; `variant` names a mistake to make.

    slip_quantity: the slip lists one unit more of a line; invoice_missing_line: the invoice
    leaves a line out (with one line: lists a wrong quantity); total_wrong: the invoice total is
    10.00 off; missing_documents: none at all.
    """
    if variant == "missing_documents":
        return []
    lines = _lines(units)
    total = sum((prices[line["sku"]] * line["quantity"] for line in lines), Decimal("0"))
    invoice = {"kind": "invoice", "ref": f"INV-{ref}", "lines": [dict(line) for line in lines], "total": f"{total:.2f}"}
    slip = {"kind": "packing_slip", "ref": f"PS-{ref}", "lines": [dict(line) for line in lines]}
    if variant == "slip_quantity":
        slip["lines"][0]["quantity"] += 1
    elif variant == "invoice_missing_line":
        if len(lines) > 1:
            invoice["lines"] = invoice["lines"][1:]
        else:
            invoice["lines"][0]["quantity"] += 1
    elif variant == "total_wrong":
        invoice["total"] = f"{total + Decimal('10.00'):.2f}"
    return [invoice, slip]


def pack_body(shipment_id: str, units: dict[str, int], documents: list[dict], at: datetime) -> dict:
    return {"shipment_id": shipment_id, "lines": _lines(units), "documents": documents, "occurred_at": format_time(at)}


def dispatch_body(shipment_id: str, carrier: str, tracking_number: str, eta: datetime, service_level: str,
                  override: bool, at: datetime) -> dict:
    return {
        "shipment_id": shipment_id,
        "carrier": carrier,
        "tracking_number": tracking_number,
        "eta": format_time(max(eta, at + timedelta(minutes=1))),
        "shipping_cost": f"{SHIPPING_COST[service_level]:.2f}",
        "override": override,
        "occurred_at": format_time(at),
    }


# --- a story's steps in the warehouse ------------------------------------------------------

TAKES_WORK = frozenset({"open", "packing", "partially_dispatched"})  # fulfillment-svc packs only these


async def pack_shipment(run: StoryRun, step: s.PackShipment) -> bool:
    record = run.order()
    if run.closed:
        return True  # the story closed the fulfillment: nothing more is packed
    if step.shipment == 2 and not run.backordered:
        return True  # nothing was short after all: everything left in the first parcel
    if step.repack:
        return await pack(run, step, record.fulfillment_id, record.shipments[run.packed[step.shipment]].lines)
    fulfillment, run.opened = run.opened, None
    if fulfillment is None:
        fulfillment = await run.desk.fulfillment.fulfillment_of(record.order_id)
    if fulfillment is None:
        return run.not_yet("fulfillment-svc to open the order's fulfillment (a dead-lettered order.confirmed?)")
    if not takes_work(fulfillment):
        return skip_closed(run, fulfillment)
    record.fulfillment_id, record.warehouse = fulfillment["fulfillment_id"], fulfillment["warehouse_id"]
    reserved = {line["sku"]: line["quantity"] for line in fulfillment["reserved"]}
    short = {line["sku"]: line["quantity"] for line in fulfillment["backordered"]}
    if step.shipment == 1:
        if short and run.story.profile.backorder_sku is None:
            return await restock_unplanned(run, fulfillment, short)
        if short and not run.backordered:
            run.backordered = short
            record.backordered_units = sum(short.values())
            run.desk.tally.count("backordered")
        units = picked(run, reserved, step.short_pick)
    else:
        if short:
            return await wait_for_fill(run, step, fulfillment, short)
        units = reserved
    if not units:
        return run.not_yet("fulfillment-svc to reserve something for the order")
    return await pack(run, step, fulfillment["fulfillment_id"], units)


def takes_work(fulfillment: dict) -> bool:
    """Would fulfillment-svc pack it? Not once closed (a closing one still shows its parcels' status)."""
    return fulfillment["status"] in TAKES_WORK and not fulfillment.get("closed_reason")


def skip_closed(run: StoryRun, fulfillment: dict) -> bool:
    """The fulfillment takes no more work, though this story did not close it: nothing is packed or
    dispatched (and counted) any more; the surprise is noted among the run's errors."""
    run.closed = True
    state = "closed" if fulfillment.get("closed_reason") else fulfillment["status"]
    run.desk.traffic.note(f"not packed: fulfillment {state}",
                          f"order #{run.story.index}: fulfillment {fulfillment['fulfillment_id']} is {state}")
    return True


async def pack(run: StoryRun, step: s.PackShipment, fulfillment_id: str, units: dict[str, int]) -> bool:
    record = run.order()
    shipment_id = run.packed.get(step.shipment, f"shp-{run.key}-{step.shipment}")
    documents = documents_for(units, run.prices, "correct" if step.repack else step.documents, shipment_id)
    answer = await run.desk.fulfillment.pack(fulfillment_id, pack_body(shipment_id, units, documents, step.at),
                                              f"{run.key}-pack-{step.shipment}-{int(step.repack)}")
    found = bool(answer["document_discrepancies"])
    intended = not step.repack and step.documents != "correct"
    run.expect(found == intended, "document check surprised the simulator", found, intended)
    run.packed[step.shipment] = shipment_id
    record.shipments[shipment_id] = ShipmentRecord(shipment_id, dict(units), not found, ms(step.at))
    run.desk.tally.count("re-packed" if step.repack else ("packed with document errors" if found else "packed"))
    return True


def picked(run: StoryRun, reserved: dict[str, int], short_pick: bool) -> dict[str, int]:
    units = dict(reserved)
    if short_pick:
        sku = next((sku for sku, q in sorted(units.items()) if q >= 2), None)
        if sku is not None:
            units[sku] -= 1
        elif len(units) > 1:
            del units[sorted(units)[-1]]
        run.desk.tally.count("short picked")
    return units


async def wait_for_fill(run: StoryRun, step: s.PackShipment, fulfillment: dict, short: dict[str, int]) -> bool:
    if run.waits >= GIVE_UP_FILL_AFTER:  # the warehouse stops waiting: what is missing will not come
        record = run.order()
        await close(run, fulfillment["fulfillment_id"], "backorder never arrived", step.at)
        run.desk.tally.count("closed short: backorder never arrived")
        if record.completion() is not None:
            run.desk.tally.count("orders delivered")
        return True
    if run.waits and run.waits % RESTOCK_AGAIN_EVERY == 0:  # our units went elsewhere: count more in
        for sku, units in short.items():
            await run.desk.stock.restock(fulfillment["warehouse_id"], sku, units)
        run.desk.tally.count("restocked again")
    return run.not_yet("the backordered units to be filled")


async def restock_unplanned(run: StoryRun, fulfillment: dict, short: dict[str, int]) -> bool:
    if run.waits == 0:
        run.desk.traffic.note("unplanned backorder", f"order #{run.story.index} short of {short}")
        for sku, units in short.items():
            await run.desk.stock.restock(fulfillment["warehouse_id"], sku, units)
    return run.not_yet("the unplanned backorder to be filled")


async def dispatch_shipment(run: StoryRun, step: s.DispatchShipment) -> bool:
    record = run.order()
    shipment_id = run.packed.get(step.shipment)
    if shipment_id is None or run.closed:
        return True  # never packed (nothing was short), or closed since: fulfillment-svc dropped the parcel
    tracking = run.tracking(step.shipment, step.carrier)
    body = dispatch_body(shipment_id, step.carrier, tracking, step.eta, record.service_level, step.override, step.at)
    await run.desk.fulfillment.dispatch(record.fulfillment_id, body, f"{run.key}-dispatch-{step.shipment}")
    shipment = record.shipments[shipment_id]
    shipment.dispatched_ms, shipment.carrier = ms(step.at), step.carrier
    shipment.shipping_cost = money(body["shipping_cost"])
    run.desk.tally.count("dispatched with override" if step.override else "dispatched")
    return True


async def restock(run: StoryRun, step: s.Restock) -> bool:
    record = run.order()
    units = run.backordered.get(step.sku, 0)
    if units:
        await run.desk.stock.restock(record.warehouse, step.sku, units)
        run.desk.tally.count("restocked")
    return True


async def close_short(run: StoryRun, step: s.CloseShort) -> bool:
    if run.closed:
        return True
    await close(run, run.order().fulfillment_id, step.reason, step.at)
    run.desk.tally.count("closed short")
    return True


async def close(run: StoryRun, fulfillment_id: str, reason: str, at: datetime) -> None:
    """The warehouse sends nothing more: from here the story packs and dispatches nothing (a pack
    or dispatch of a closed fulfillment is a 409), and nothing is waited for any more."""
    await run.desk.fulfillment.close(fulfillment_id, reason, at, f"{run.key}-close")
    run.order().closed_ms = ms(at)
    run.closed = True
    run.backordered = {}


async def receive_return(run: StoryRun, step: s.ReceiveReturn) -> bool:
    run.order()  # the order was placed (else the story ends here)
    if run.return_id is None:
        return True
    # api.md's body: fulfillment-svc knows the order from return.requested
    body = {"lines": run.return_body, "condition": step.condition, "occurred_at": format_time(step.at)}
    if await run.desk.fulfillment.receive_return(run.return_id, body, f"{run.key}-receive") is None:
        return run.not_yet(f"fulfillment-svc to hear of return {run.return_id} (return.requested)")
    run.desk.tally.count("return received")
    return True
