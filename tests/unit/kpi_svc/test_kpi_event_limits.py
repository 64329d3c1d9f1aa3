"""Numbers in events are held to the limits of the event models (orderpulse.events.limits): an
event beyond them is InvalidEvent (dead-lettered by the stream) and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kpi_events import MONDAY, OrderStory, shift
from kpi_svc.domain import InvalidEvent, KpiEngine
from orderpulse.events.limits import QUANTITY_MAX, STAFF_MAX
from orderpulse.events.registry import validate_data

HOUR = timedelta(hours=1)


def shift_with(**data) -> dict:
    made = shift("wh_berlin", "s1", MONDAY, MONDAY + 8 * HOUR)
    made["data"].update(data)
    return made


@pytest.mark.parametrize(
    "data",
    [
        {"hourly_cost": "²"},
        {"hourly_cost": "١٢.٥"},  # Arabic-Indic digits
        {"hourly_cost": "1" + "0" * 300},
        {"hourly_cost": "12.50001"},
        {"hourly_cost": float("inf")},
        {"hourly_cost": 1e300},
        {"staff": 1e308},
        {"staff": float("inf")},
        {"staff": STAFF_MAX + 1},
        {"staff": 2.5},
    ],
)
def test_a_shift_with_numbers_beyond_the_event_limits_is_invalid_and_changes_nothing(data):
    engine = KpiEngine()
    with pytest.raises(InvalidEvent):
        engine.apply(shift_with(**data))
    assert engine.shifts == {} and engine.take_changed_keys() == set()


def test_the_event_models_refuse_the_same_shift_numbers():
    for data in ({"hourly_cost": "²"}, {"hourly_cost": "١٢.٥"}, {"hourly_cost": "1" + "0" * 13}, {"staff": STAFF_MAX + 1}):
        with pytest.raises(ValueError):
            validate_data("labor.shift_recorded.v1", shift_with(**data)["data"])
    validate_data("labor.shift_recorded.v1", shift_with(hourly_cost="999999999999.9999", staff=STAFF_MAX)["data"])


def test_a_shift_at_the_limits_is_applied():
    engine = KpiEngine()
    engine.apply(shift_with(hourly_cost="999999999999.9999", staff=STAFF_MAX))
    assert len(engine.shifts) == 1


def test_an_order_line_beyond_the_quantity_limit_is_invalid_and_the_order_unknown():
    story = OrderStory("ord_big")
    placed = story.placed(lines=[{"line_id": "l1", "sku": "SKU-A", "quantity": QUANTITY_MAX + 1, "unit_price": "1.00"}])
    engine = KpiEngine()
    with pytest.raises(InvalidEvent):
        engine.apply(placed)
    assert engine.peek_order("ord_big") is None
