"""Carrier scans: signed, per carrier, idempotent per event id, order-independent in their effect."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import orjson
from orderpulse.events import FULFILLMENT
from orderpulse.testing.kafka_probe import TopicProbe
from orderpulse.testing.service import auth, signed


async def shipped_order(warehouse, name: str, tracking: str, *, carrier: str = "dhl", **quantities) -> dict:
    for sku in quantities:
        await warehouse.put_stock(sku, 100)
    order_id = await warehouse.confirm(name, **quantities)
    fulfillment = await warehouse.wait_for_fulfillment(order_id)
    await warehouse.ship(fulfillment["fulfillment_id"], tracking, carrier=carrier, **quantities)
    return await warehouse.fulfillment_of(order_id)


def journey(warehouse, prefix: str, tracking: str) -> list[dict]:
    """A parcel's scans in the order they happened."""
    return [
        warehouse.scan(f"{prefix}-1", tracking, "in_transit", minutes=1, location="Leipzig hub"),
        warehouse.scan(f"{prefix}-2", tracking, "delayed", minutes=2, reason="weather",
                       eta=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
        warehouse.scan(f"{prefix}-3", tracking, "out_for_delivery", minutes=3),
        warehouse.scan(f"{prefix}-4", tracking, "delivery_failed", minutes=4, reason="nobody home"),
        warehouse.scan(f"{prefix}-5", tracking, "delivered", minutes=5, condition="intact"),
    ]


OUTCOMES = (
    "orderpulse.shipment.delayed.v1",
    "orderpulse.shipment.delivery_failed.v1",
    "orderpulse.shipment.delivered.v1",
    "orderpulse.fulfillment.completed.v1",
)


def final_state(fulfillment: dict) -> tuple:
    [shipment] = fulfillment["shipments"]
    return (fulfillment["status"], shipment["status"], shipment["eta"], shipment["delivered_at"], shipment["condition"])


async def test_duplicate_and_out_of_order_batches_leave_the_same_state_and_events_as_the_clean_sequence(
    warehouse, infrastructure
):
    clean = await shipped_order(warehouse, "clean", "clean", MUG=1)
    messy = await shipped_order(warehouse, "messy", "messy", MUG=1)
    clean_scans = journey(warehouse, "c", "clean")
    messy_scans = journey(warehouse, "m", "messy")

    async with TopicProbe(infrastructure.kafka_bootstrap, [FULFILLMENT]) as probe:
        assert (await warehouse.report(clean_scans)).status_code == 200
        s1, s2, s3, s4, s5 = messy_scans
        for batch in ([s5, s3], [s3, s1, s5], [s2, s4, s1, s4], [s5, s2]):
            answer = await warehouse.report(batch)
            assert answer.status_code == 200, answer.text

        def every_outcome_type(records, order_id):
            return all(any(kind.encode() in r.value and r.key == order_id.encode() for r in records) for kind in OUTCOMES)

        # the messy order completes with its first batch; its problems come with later batches, each
        # relayed on its own: wait for every kind of outcome of both, then for any extra to arrive
        await probe.wait_until(lambda rs: every_outcome_type(rs, clean["order_id"]) and every_outcome_type(rs, messy["order_id"]))
        records = await probe.settle(1.0)

    def outcome_events(order_id: str, scans: list[dict]) -> Counter:
        """Problems, deliveries and completion (what must not depend on arrival order), with their
        event time as minutes after the journey's first scan."""
        start = datetime.fromisoformat(scans[0]["occurred_at"])
        found = [orjson.loads(r.value) for r in records if r.key == order_id.encode()]
        return Counter(
            (e["type"], round((datetime.fromisoformat(e["time"]) - start).total_seconds() / 60))
            for e in found
            if e["type"] in OUTCOMES
        )

    clean_outcomes = outcome_events(clean["order_id"], clean_scans)
    assert outcome_events(messy["order_id"], messy_scans) == clean_outcomes
    assert sorted(clean_outcomes) == sorted(zip(OUTCOMES, (1, 3, 4, 4), strict=True))

    after_clean = await warehouse.fulfillment_of(clean["order_id"])
    after_messy = await warehouse.fulfillment_of(messy["order_id"])
    assert final_state(after_clean)[:2] == final_state(after_messy)[:2] == ("completed", "delivered")
    assert final_state(after_clean)[4] == final_state(after_messy)[4] == "intact"
    for state, scans in ((after_clean, clean_scans), (after_messy, messy_scans)):
        delivered_at = datetime.fromisoformat(state["shipments"][0]["delivered_at"])
        assert abs(delivered_at - datetime.fromisoformat(scans[4]["occurred_at"])) < timedelta(milliseconds=1)
        assert state["shipments"][0]["eta"] == state["shipments"][0]["delivered_at"]


async def test_a_batch_is_answered_per_item_accepted_duplicate_or_rejected(warehouse):
    await shipped_order(warehouse, "a", "a", MUG=1)
    first = warehouse.scan("1", "a", "in_transit", minutes=1)

    answer = await warehouse.report(
        [
            first,
            first,
            warehouse.scan("2", "nowhere", "in_transit", minutes=1),
            warehouse.scan("3", "a", "delayed", minutes=2),
            warehouse.scan("4", "a", "exception", minutes=2, reason="stolen by pirates"),
            warehouse.scan("5", "a", "delivered", minutes=3, condition="intact", lines=[{"sku": "NOT-SHIPPED", "quantity": 1}]),
        ]
    )

    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["outcome"], r.get("code")) for r in results] == [
        ("accepted", None),
        ("duplicate", "duplicate"),
        ("rejected", "unknown_tracking_number"),
        ("rejected", "missing_eta"),
        ("rejected", "invalid_reason"),
        ("rejected", "delivered_line_not_shipped"),
    ]
    assert all(r["reason"] for r in results[1:])


async def test_a_rejected_scan_can_be_sent_again_once_fixed(warehouse):
    await shipped_order(warehouse, "a", "a", MUG=1)
    broken = warehouse.scan("1", "a", "delayed", minutes=1)

    first = await warehouse.report([broken])
    fixed = await warehouse.report([broken | {"eta": (datetime.now(UTC) + timedelta(days=1)).isoformat()}])

    assert first.json()["results"][0]["outcome"] == "rejected"
    assert fixed.json()["results"][0]["outcome"] == "accepted"


async def test_the_same_batch_sent_concurrently_is_applied_once(warehouse, infrastructure):
    shipped = await shipped_order(warehouse, "a", "a", MUG=1)
    batch = journey(warehouse, "x", "a")

    async with TopicProbe(infrastructure.kafka_bootstrap, [FULFILLMENT]) as probe:
        answers = await asyncio.gather(*(warehouse.report(batch) for _ in range(5)))
        await probe.wait_until(lambda rs: any(b"fulfillment.completed" in r.value for r in rs))
        records = await probe.settle(0.5)

    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    outcomes = Counter(r["outcome"] for a in answers for r in a.json()["results"])
    assert outcomes == {"accepted": 5, "duplicate": 20}
    mine = Counter(orjson.loads(r.value)["type"] for r in records if r.key == shipped["order_id"].encode())
    assert mine["orderpulse.shipment.delivered.v1"] == 1
    assert mine["orderpulse.fulfillment.completed.v1"] == 1


async def test_a_scan_batch_without_a_signature_or_with_a_wrong_one_is_refused_and_changes_nothing(warehouse):
    shipped = await shipped_order(warehouse, "a", "a", MUG=1)
    raw, headers = signed("carrier:dhl", {"events": [warehouse.scan("1", "a", "in_transit", minutes=1)]})
    unsigned = {k: v for k, v in headers.items() if not k.startswith("X-Signature")}
    tampered = {**headers, "X-Signature": "sha256=" + "0" * 64}
    _, stale = signed("carrier:dhl", orjson.loads(raw), timestamp=int(time.time()) - 600)
    _, other_secret = signed("carrier:ups", orjson.loads(raw))
    other_secret = {**other_secret, **auth("carrier:dhl")}

    for bad in (unsigned, tampered, stale, other_secret):
        answer = await warehouse.client.post("/v1/carriers/dhl/events", content=raw, headers=bad)
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"].endswith("/bad-signature")

    assert (await warehouse.fulfillment_of(shipped["order_id"]))["shipments"][0]["status"] == "dispatched"
    accepted = await warehouse.client.post("/v1/carriers/dhl/events", content=raw, headers=headers)
    assert accepted.json()["results"][0]["outcome"] == "accepted"


async def test_a_carrier_cannot_report_on_another_carriers_path_or_parcels(warehouse):
    shipped = await shipped_order(warehouse, "a", "a", MUG=1)  # a dhl parcel
    scan = warehouse.scan("1", "a", "delivered", minutes=1, condition="intact")

    on_other_path = await warehouse.report([scan], carrier="dhl", role="carrier:ups")
    ups_on_own_path = await warehouse.report([scan], carrier="ups")

    assert on_other_path.status_code == 403
    assert on_other_path.headers["content-type"] == "application/problem+json"
    assert ups_on_own_path.status_code == 200
    assert ups_on_own_path.json()["results"][0] | {"reason": None} == {
        "event_id": scan["event_id"], "outcome": "rejected", "code": "unknown_tracking_number", "reason": None
    }
    assert (await warehouse.fulfillment_of(shipped["order_id"]))["status"] == "dispatched"


async def test_one_bad_scan_is_rejected_in_its_place_and_the_rest_of_the_batch_is_applied(warehouse):
    shipped = await shipped_order(warehouse, "a", "a", MUG=1)
    good = warehouse.scan("1", "a", "in_transit", minutes=1)
    future = warehouse.scan("2", "a", "delivered", minutes=70, condition="intact")
    unknown_status = warehouse.scan("3", "a", "teleported", minutes=2)
    not_a_scan = {"tracking_number": warehouse.names.tracking("a")}  # no event_id, no status, no time
    out_for_delivery = warehouse.scan("4", "a", "out_for_delivery", minutes=3)

    answer = await warehouse.report([good, future, unknown_status, not_a_scan, out_for_delivery])

    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["event_id"], r["outcome"], r.get("code")) for r in results] == [
        (good["event_id"], "accepted", None),
        (future["event_id"], "rejected", "occurred_in_future"),
        (unknown_status["event_id"], "rejected", "unknown_status"),
        (None, "rejected", "missing_event_id"),
        (out_for_delivery["event_id"], "accepted", None),
    ]
    assert results[1]["reason"].startswith("events[1].occurred_at")
    assert results[2]["reason"].startswith("events[2].status")
    fulfillment = await warehouse.fulfillment_of(shipped["order_id"])
    assert fulfillment["shipments"][0]["status"] == "out_for_delivery"
    # a rejected scan is not recorded: sent again fixed, it is judged again
    fixed = future | {"occurred_at": datetime.now(UTC).isoformat()}
    assert (await warehouse.report([fixed])).json()["results"][0]["outcome"] == "accepted"


async def test_a_body_that_is_not_a_batch_is_refused_naming_the_field(warehouse):
    for body, field in (({"events": []}, "events"), ({"scans": []}, "events"), ({"events": "x"}, "events")):
        raw, headers = signed("carrier:dhl", body)
        answer = await warehouse.client.post("/v1/carriers/dhl/events", content=raw, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["field"] == field
