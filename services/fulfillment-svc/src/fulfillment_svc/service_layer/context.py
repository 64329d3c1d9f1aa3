"""What every handler is given: how to open a unit of work, the policy, a clock and an id source.

`bootstrap.py` builds one `ServiceContext` with production defaults; tests pass their own clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from orderpulse.business_days import BusinessCalendar
from orderpulse.unique_bits import unique_bits

from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """`ful_3f2c...`, `shp_...`: a prefix saying what it names, and 128 random bits (32 hex digits,
    the form `uuid4().hex` gave; one per order the consumer opens). Unique, not secret
    (`orderpulse.unique_bits`): who may touch a fulfillment or shipment is the API key's role,
    never knowing its id."""
    return f"{prefix}_{unique_bits(128):032x}"


@dataclass(frozen=True)
class Policy:
    """Decisions the merchant configures (see `FulfillmentSettings`)."""

    default_warehouse_id: str = "wh-1"
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    clock_skew_allowance: timedelta = timedelta(minutes=15)
    default_transit_business_days: int = 2


@dataclass(frozen=True)
class ServiceContext:
    unit_of_work: Callable[[], FulfillmentUnitOfWork]
    policy: Policy = field(default_factory=Policy)
    clock: Callable[[], datetime] = utcnow
    new_id: Callable[[str], str] = new_id
