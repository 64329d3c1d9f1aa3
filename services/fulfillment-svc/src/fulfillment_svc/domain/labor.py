"""Labor shifts worked in a warehouse (`labor.shift_recorded`), the denominator of orders per
labor hour and part of cost per order."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from fulfillment_svc.domain.errors import InvalidShift
from fulfillment_svc.domain.events import LaborShiftRecorded
from fulfillment_svc.domain.values import parse_amount, parse_text, require_aware

MAX_SHIFT_LENGTH = timedelta(hours=24)


def record_shift(
    *,
    warehouse_id: str,
    shift_id: str,
    start: datetime,
    end: datetime,
    staff: int,
    hourly_cost: Decimal | str,
) -> LaborShiftRecorded:
    """Validate a shift and return its event. `hourly_cost` is per staff member, so the shift
    costs hours × staff × hourly_cost. The event's time is the shift's end (its time of record)."""
    parse_text(warehouse_id, field="warehouse_id")
    parse_text(shift_id, field="shift_id")
    require_aware(start, field="start")
    require_aware(end, field="end")
    if end <= start:
        raise InvalidShift("end must be after start", field="end")
    if end - start > MAX_SHIFT_LENGTH:
        raise InvalidShift("a shift may last at most 24 hours", field="end")
    if isinstance(staff, bool) or not isinstance(staff, int) or staff < 1:
        raise InvalidShift(f"staff must be a whole number of at least 1, got {staff!r}", field="staff")
    cost = parse_amount(hourly_cost, field="hourly_cost")
    return LaborShiftRecorded(
        occurred_at=end,
        warehouse_id=warehouse_id,
        shift_id=shift_id,
        start=start,
        end=end,
        staff=staff,
        hourly_cost=cost,
    )


def labor_hours(shift: LaborShiftRecorded) -> Decimal:
    """Staff hours the shift adds to the labor-hours denominator."""
    seconds = Decimal((shift.end - shift.start).total_seconds())
    return seconds / Decimal(3600) * shift.staff
