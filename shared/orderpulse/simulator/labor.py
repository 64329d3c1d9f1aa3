"""Labor shifts: one a day per warehouse in the replayed history, every few minutes while live,
staffed for the order volume (the denominator of orders per labor hour, part of cost per order)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from orderpulse.simulator.clients import format_time
from orderpulse.simulator.world import WAREHOUSES

SHIFT_HOURS = (7, 15)  # UTC: one shift a day per warehouse
ORDERS_PER_LABOR_HOUR = 6  # how many orders one person picks, packs and ships in an hour
WAREHOUSE_SHARE = {"wh-1": 0.7, "wh-2": 0.3}  # of the orders (scenario.py sends 70 % to wh-1)
HOURLY_COST = {"wh-1": Decimal("24.50"), "wh-2": Decimal("27.00")}


def staff_for(orders_per_hour: float, warehouse: str) -> int:
    """People a warehouse needs for its share of `orders_per_hour`."""
    return max(1, round(orders_per_hour * WAREHOUSE_SHARE[warehouse] / ORDERS_PER_LABOR_HOUR))


def history_shifts(seed: int, run_tag: str, start: datetime, end: datetime,
                   orders_per_day: float) -> list[tuple[str, datetime, dict]]:
    """One shift a day per warehouse within [start, end], staffed for the day's orders (a smaller
    crew at weekends): (warehouse, end of the shift, body), oldest first."""
    rng = random.Random(f"{seed}/labor")
    shifts = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    first_hour, last_hour = SHIFT_HOURS
    while day <= end:
        for warehouse in WAREHOUSES:
            began, ended = day + timedelta(hours=first_hour), day + timedelta(hours=last_hour)
            staff = staff_for(orders_per_day / (last_hour - first_hour), warehouse) + rng.randint(0, 1)
            if day.weekday() >= 5:
                staff = max(1, staff // 2)
            if began >= start and ended <= end:
                shift_id = f"{run_tag}-{warehouse}-{day:%Y%m%d}"
                shifts.append((warehouse, ended, shift_body(shift_id, began, ended, staff, warehouse)))
        day += timedelta(days=1)
    return sorted(shifts, key=lambda shift: shift[1])


def shift_body(shift_id: str, start: datetime, end: datetime, staff: int, warehouse: str) -> dict:
    return {"shift_id": shift_id, "start": format_time(start), "end": format_time(end),
            "staff": staff, "hourly_cost": f"{HOURLY_COST[warehouse]:.2f}"}
