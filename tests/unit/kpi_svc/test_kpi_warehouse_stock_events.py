"""inventory.adjusted (keyed by warehouse, on the fulfillment topic) is a known event no KPI reads:
kpi-svc ignores it cleanly instead of dead-lettering it, and it changes no figure."""

from datetime import timedelta

from kpi_events import MONDAY, engine_after, event
from kpi_svc.domain import IGNORED, KpiEngine, KpiRules
from kpi_svc.entrypoints.stream import poison_reason


def adjusted() -> dict:
    return event("inventory.adjusted.v1", "wh_berlin", MONDAY, {
        "warehouse_id": "wh_berlin", "sku": "SKU-A", "on_hand_before": 5, "on_hand_after": 2, "reason": "shrinkage",
    })


def test_an_inventory_adjustment_passes_the_poison_check_and_is_ignored_by_the_engine():
    assert poison_reason(adjusted()) is None
    assert KpiEngine(KpiRules()).apply(adjusted()) is IGNORED


def test_an_inventory_adjustment_changes_no_figure():
    now = MONDAY + timedelta(hours=1)
    assert engine_after([adjusted()], now).report("24h", now) == engine_after([], now).report("24h", now)
