"""Settings: one frozen object per service, read from `ORDERPULSE_*` environment variables.

Build it once in the service's `main.py` and pass it down; never at import time.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orderpulse.business_days import BusinessCalendar, calendar_from_settings
from orderpulse.business_hours import SlaClock, WorkingHours, parse_working_hours

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password"})


class PlatformSettings(BaseSettings):
    """What every OrderPulse process needs: where the database and broker are, who may call it."""

    model_config = SettingsConfigDict(env_prefix="ORDERPULSE_", frozen=True, extra="ignore")

    environment: Literal["local", "test", "production"] = "local"
    service_name: str = "orderpulse"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/orderpulse"
    database_pool_size: int = 10
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_enable_idempotence: bool = Field(
        default=False,
        description="on for real Kafka; the embedded Tansu broker refuses idempotent producers",
    )
    kafka_client_id: str | None = None
    api_keys: dict[str, SecretStr] = Field(
        default_factory=dict, description="role -> API key, e.g. {\"storefront\": \"...\"}"
    )
    signing_secrets: dict[str, SecretStr] = Field(
        default_factory=dict, description="role -> HMAC secret for signed callbacks"
    )
    signature_max_age_s: int = 300
    outbox_batch_size: int = 500
    outbox_poll_interval_s: float = 1.0
    outbox_retention_s: int = 7 * 24 * 3600
    broker_check_interval_s: float = Field(
        default=10.0, description="how often the relay checks that the broker still has what it published, "
        "and each consumer that the partitions it reads were not rebuilt under it"
    )
    consumer_batch_size: int = 500
    consumer_session_timeout_ms: int = 10_000
    consumer_heartbeat_interval_ms: int = 1_000
    consumer_fetch_max_wait_ms: int = Field(
        default=500, ge=1, description="how long a fetch waits for records (aiokafka's fetch_max_wait_ms); Tansu holds "
        "a fetch for about this long even when records are there, so it is a floor under a consumer's latency"
    )
    consumer_max_attempts: int = 3
    consumer_retry_backoff_s: float = 0.2
    dedup_retention_s: int = 14 * 24 * 3600
    idempotency_retention_s: int = Field(default=24 * 3600, description="how long an Idempotency-Key is remembered")
    housekeeping_interval_s: float = 300.0
    log_level: str = "INFO"
    max_body_bytes: int = 1_000_000

    @field_validator("api_keys", "signing_secrets")
    @classmethod
    def _roles_are_named(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for role in value:
            if not role or role != role.strip():
                raise ValueError(f"role name {role!r} is empty or padded")
        return value

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> PlatformSettings:
        if self.environment == "production":
            for kind, secrets in (("api key", self.api_keys), ("signing secret", self.signing_secrets)):
                for role, secret in secrets.items():
                    if secret.get_secret_value().lower() in PLACEHOLDER_SECRETS or len(secret.get_secret_value()) < 16:
                        raise ValueError(f"the {kind} for {role!r} is a placeholder or shorter than 16 characters")
        return self

    @property
    def db_schema(self) -> str:
        """Each service owns one PostgreSQL schema named after it (`order-svc` -> `order_svc`)."""
        return self.service_name.replace("-", "_")


class CalendarSettings(BaseSettings):
    """The merchant's calendar, for services that count business days or working hours.

    Mix in before `PlatformSettings`: `class NotifySettings(CalendarSettings, PlatformSettings)`.
    Environment: `ORDERPULSE_MERCHANT_TIMEZONE=Europe/Berlin`, `ORDERPULSE_HOLIDAYS='["2026-12-25"]'`,
    `ORDERPULSE_WORKING_HOURS=09:00-17:00` (unset: SLA clocks count calendar hours).
    """

    model_config = SettingsConfigDict(env_prefix="ORDERPULSE_", frozen=True, extra="ignore")

    merchant_timezone: str = Field(default="UTC", description="IANA zone whose Monday–Friday are business days")
    holidays: tuple[date, ...] = Field(default=(), description="local dates that are not business days")
    working_hours: str | None = Field(
        default=None, description="e.g. 09:00-17:00; set, SLA clocks count only these hours of business days"
    )

    @field_validator("merchant_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        BusinessCalendar(timezone=value)  # an unknown zone fails at start-up, not at the first use
        return value

    @field_validator("working_hours")
    @classmethod
    def _readable_hours(cls, value: str | None) -> str | None:
        if value is not None:
            parse_working_hours(value)
        return value

    def calendar(self) -> BusinessCalendar:
        return calendar_from_settings(self.merchant_timezone, self.holidays)

    def business_hours(self) -> WorkingHours:
        """The configured working hours, or 09:00–17:00 on business days when none are set."""
        if self.working_hours is None:
            return WorkingHours(self.calendar())
        opens, closes = parse_working_hours(self.working_hours)
        return WorkingHours(self.calendar(), opens, closes)

    def sla_clock(self) -> SlaClock:
        """Calendar hours unless `working_hours` is configured (api.md, kpis.md)."""
        return SlaClock(self.business_hours() if self.working_hours is not None else None)
