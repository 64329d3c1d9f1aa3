"""Helpers of the kpi-svc integration tests: the orders told, the offline recomputation, polling."""

from __future__ import annotations

import asyncio
import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kpi_svc.domain import KpiEngine
from kpi_svc.settings import KpiSettings

_spec = importlib.util.spec_from_file_location("kpi_events", Path(__file__).parents[2] / "unit" / "kpi_svc" / "kpi_events.py")
kpi_events = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kpi_events)
OrderStory = kpi_events.OrderStory


def stories(tag: str, base: datetime | None = None) -> dict[str, list[dict]]:
    """A few dozen orders with known outcomes, placed a few days before now (the windows hold them)."""
    base = base or (datetime.now(UTC) - timedelta(days=5)).replace(second=0, microsecond=0)
    d, h = timedelta(days=1), timedelta(hours=1)
    told: dict[str, list[dict]] = {}

    def story(name: str) -> OrderStory:
        made = OrderStory(f"ord-{tag}-{name}", base)
        told[made.order_id] = made.events
        return made

    for n in range(8):
        story(f"happy{n}").happy_path()
        s = story(f"surveyed{n}")
        s.happy_path()
        s.feedback(base + 3 * d + h, csat=5 if n % 3 else 2, survey_id=f"srv-{tag}-{n}")
        s.notification(base + d + 12 * timedelta(minutes=1) if n % 2 else base + d + 2 * h, base + d + 10 * timedelta(minutes=1))
    s = story("late")
    s.placed(promised_by=base + 2 * d)
    s.packed(base + d)
    s.dispatched(base + d + h)
    s.shipment_delivered(base + 3 * d)
    s.completed(base + 3 * d)
    s = story("short")
    s.placed()
    s.packed(base + d)
    s.dispatched(base + d + h)
    s.completed(base + 3 * d, delivered=[{"sku": "SKU-A", "quantity": 1}], closed_short=True)
    s = story("split")
    s.placed(lines=[{"line_id": "l1", "sku": "SKU-A", "quantity": 2, "unit_price": "10.00"}])
    s.packed(base + d, "shp_1", lines=[{"sku": "SKU-A", "quantity": 1}])
    s.dispatched(base + d + h, "shp_1", lines=[{"sku": "SKU-A", "quantity": 1}])
    s.packed(base + 2 * d, "shp_2", lines=[{"sku": "SKU-A", "quantity": 1}])
    s.dispatched(base + 2 * d + h, "shp_2", lines=[{"sku": "SKU-A", "quantity": 1}], carrier="ups")
    s.completed(base + 3 * d, shipments=2)
    s = story("damaged")
    s.placed()
    s.packed(base + d)
    s.dispatched(base + d + h)
    s.shipment_delivered(base + 3 * d, condition="damaged")
    s.completed(base + 3 * d)
    s = story("claimed")
    s.happy_path()
    s.issue_opened(base + 4 * d, category="damaged", issue_id=f"iss-{tag}-c")
    s = story("docs")
    s.placed()
    s.packed(base + d, discrepancies=("missing_invoice",))
    s.dispatched(base + d + h)
    s.completed(base + 3 * d)
    s = story("billing")
    s.happy_path()
    s.issue_opened(base + 4 * d, category="billing", issue_id=f"iss-{tag}-b")
    s.issue_acknowledged(base + 4 * d + 30 * h, issue_id=f"iss-{tag}-b")  # acknowledged late
    s = story("cancelled")
    s.placed()
    s.cancelled(base + h)
    s = story("held")
    s.placed()
    s.held(base + timedelta(minutes=1))
    s.corrected(base + 2 * h)
    s.packed(base + d)
    s.dispatched(base + d + h)
    s.completed(base + 3 * d)
    s = story("stuck")
    s.placed()  # never shipped: the ship deadline passes
    return told


def all_events(told: dict[str, list[dict]]) -> list[dict]:
    return [event for events in told.values() for event in events]


def expected_engine(settings: KpiSettings, events: list[dict]):
    engine = KpiEngine(settings.rules)
    for event in events:
        engine.apply(event)
    engine.advance(datetime.now(UTC))
    return engine


async def send_events(settings: KpiSettings, events: list[dict], raw: list[tuple[str, bytes]] = ()) -> None:
    """Publish to the settings' private topics with a producer of its own (brokers may restart between calls)."""
    import orjson
    from orderpulse.events import topic_for
    from orderpulse.messaging.kafka import create_producer

    producer = create_producer(settings, client_id="kpi-test")
    await producer.start()
    try:
        futures = [
            await producer.send(settings.topic_prefix + topic_for(e["type"]), key=e["partitionkey"].encode(), value=orjson.dumps(e))
            for e in events
        ]
        futures += [await producer.send(settings.topic_prefix + topic, key=b"poison", value=value) for topic, value in raw]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def readiness(client) -> tuple[int, dict]:
    response = await client.get("/readyz")
    return response.status_code, response.json()["checks"]


def metric_value(body: str, name: str, **labels: str) -> float | None:
    """The value of one sample in a Prometheus text exposition (None when absent)."""
    for line in body.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        sample, _, label_text = head.partition("{")
        if sample != name:
            continue
        found = dict(part.split("=", 1) for part in label_text.rstrip("}").split(",") if part)
        if all(found.get(key, "").strip('"') == wanted for key, wanted in labels.items()):
            return float(value)
    return None


async def scalar(settings: KpiSettings, sql: str):
    """One value read from kpi-svc's schema (e.g. how much the checkpoint holds)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(settings.database_url, connect_args={"server_settings": {"search_path": "kpi_svc"}})
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).scalar()
    finally:
        await engine.dispose()
