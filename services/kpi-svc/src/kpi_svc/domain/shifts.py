"""labor.shift_recorded: keyed by warehouse, not by order. A shift is its own small entity
(`labor:<warehouse>:<shift_id>`) with the ids of the events that recorded it, so a shift
recorded again (a correction) replaces the earlier record and a duplicate changes nothing."""

from __future__ import annotations

from orderpulse.events.limits import STAFF_MAX

from .facts import shift_key
from .values import InvalidEvent, parse_money, parse_time_ms


def parse_shift(event: dict) -> tuple[str, str, tuple]:
    """-> (entity key, event id, record (time, event id, warehouse, start, end, staff, hourly cost))."""
    data = event.get("data")
    event_id = event.get("id")
    if not isinstance(data, dict) or not isinstance(event_id, str):
        raise InvalidEvent("id and data are required")
    warehouse = data.get("warehouse_id") or event.get("partitionkey")
    shift_id = data.get("shift_id")
    if not isinstance(warehouse, str) or not isinstance(shift_id, str):
        raise InvalidEvent("labor.shift_recorded needs warehouse_id and shift_id")
    time_ms = parse_time_ms(event.get("time"))
    start_ms = parse_time_ms(data.get("start"), "start")
    end_ms = parse_time_ms(data.get("end"), "end")
    staff = data.get("staff", 1)
    staff = len(staff) if isinstance(staff, list) else staff  # a head count, or the list of who worked
    if isinstance(staff, bool) or not isinstance(staff, (int, float)) or not 0 <= staff <= STAFF_MAX or staff != int(staff):
        raise InvalidEvent(f"staff: not a head count from 0 to {STAFF_MAX}: {staff!r}")
    hourly_cost = parse_money(data.get("hourly_cost", 0), "hourly_cost")
    record = (time_ms, event_id, warehouse, start_ms, end_ms, int(staff), hourly_cost)
    return shift_key(warehouse, shift_id), event_id, record
