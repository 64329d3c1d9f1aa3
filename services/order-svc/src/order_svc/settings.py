"""order-svc's settings: the platform's, plus the merchant's rules (`ORDERPULSE_*` environment variables)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orderpulse.business_days import BusinessCalendar, calendar_from_settings
from orderpulse.settings import PlatformSettings
from pydantic import Field, field_validator, model_validator

PAYMENTS_ROLE = "payments"


class OrderSettings(PlatformSettings):
    service_name: str = "order-svc"
    tax_rate: Decimal = Field(
        default=Decimal("0"),
        ge=0,
        le=1,
        description="tax on an order's subtotal, e.g. 0.2 for 20 %; fixed on each order when placed",
    )
    merchant_timezone: str = Field(default="UTC", description="IANA timezone of the merchant's business days")
    holidays: tuple[date, ...] = Field(default=(), description='days the merchant is closed, e.g. ["2026-12-25"]')
    default_currency: str = Field(
        default="USD", pattern=r"^[A-Z]{3}$", description="currency of an order none of whose items the catalog knows"
    )
    payments_enabled: bool | None = Field(
        default=None,
        description=(
            "whether a payment provider calls back: orders placed with payment_status `pending` wait for it. "
            "Default: on when a `payments` signing secret is configured; off, every order is confirmed at placement"
        ),
    )

    @field_validator("merchant_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone") from None
        return value

    @model_validator(mode="after")
    def _payments_need_a_secret(self) -> OrderSettings:
        if self.payments_enabled and PAYMENTS_ROLE not in self.signing_secrets:
            raise ValueError("payments_enabled needs a `payments` signing secret: callbacks could never be verified")
        return self

    @property
    def accepts_payment_callbacks(self) -> bool:
        """Payments are on when asked for, else when a payment provider has a signing secret."""
        if self.payments_enabled is not None:
            return self.payments_enabled
        return PAYMENTS_ROLE in self.signing_secrets

    @property
    def payments_setting(self) -> str:
        """The setting that turns payment callbacks on: named when a pending order is refused."""
        if self.payments_enabled is False:
            return "ORDERPULSE_PAYMENTS_ENABLED"
        return "ORDERPULSE_SIGNING_SECRETS"

    @property
    def calendar(self) -> BusinessCalendar:
        return calendar_from_settings(self.merchant_timezone, self.holidays)
