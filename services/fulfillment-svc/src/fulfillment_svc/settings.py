"""fulfillment-svc settings: the platform's, plus where new fulfillments go and the merchant calendar."""

from __future__ import annotations

from datetime import date

from orderpulse.business_days import BusinessCalendar, calendar_from_settings
from orderpulse.settings import PlatformSettings
from pydantic import Field, field_validator


class FulfillmentSettings(PlatformSettings):
    """Environment: `ORDERPULSE_DEFAULT_WAREHOUSE_ID`, `ORDERPULSE_MERCHANT_TIMEZONE`,
    `ORDERPULSE_HOLIDAYS='["2026-12-25"]'`, ..."""

    service_name: str = "fulfillment-svc"
    default_warehouse_id: str = Field(
        default="wh-1",
        min_length=1,
        max_length=64,
        description="where a confirmed order goes when no warehouse has more of it in stock than this one",
    )
    merchant_timezone: str = Field(default="UTC", description="IANA zone whose Monday–Friday are business days")
    holidays: tuple[date, ...] = Field(default=(), description="local dates that are not business days")
    scan_clock_skew_allowance_s: int = Field(
        default=900, ge=0, description="how far before the dispatch a carrier scan may claim to have happened"
    )
    default_transit_business_days: int = Field(
        default=2, ge=0, le=30, description="eta of a dispatch that names none: this many business days after it"
    )

    @field_validator("merchant_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        BusinessCalendar(timezone=value)  # an unknown zone fails at start-up, not at the first order
        return value

    @property
    def calendar(self) -> BusinessCalendar:
        return calendar_from_settings(self.merchant_timezone, self.holidays)
