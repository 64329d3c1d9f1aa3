"""kpi-svc's settings: the platform's, plus the KPI rules of kpis.md (`ORDERPULSE_*` environment variables)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from orderpulse.events.topics import ALL_TOPICS
from orderpulse.settings import PlatformSettings
from pydantic import Field, model_validator

from kpi_svc.domain import KpiRules
from kpi_svc.domain.rules import LOWER_IS_BETTER


class KpiSettings(PlatformSettings):
    service_name: str = "kpi-svc"
    claim_window_s: int = Field(default=7 * 86400, ge=0, description="claims this long after delivery revise a verdict")
    targets: dict[str, float | None] = Field(default_factory=dict, description='overrides of the default targets, e.g. {"csat": 0.9}')
    target_directions: dict[str, Literal["higher", "lower"]] = Field(
        default_factory=dict, description='which way a target is met, e.g. {"cost_per_order": "lower"} (default: lower for cost_per_order, else higher)'
    )
    merchant_timezone: str = Field(default="UTC", description="IANA timezone of the merchant's business days")
    holidays: tuple[date, ...] = Field(default=(), description='days the merchant is closed, e.g. ["2026-12-25"]')
    settled_retention_s: int = Field(
        default=90 * 86400, ge=0, description="how long after it settled (delivery, cancellation) an order's facts stay answerable"
    )
    cold_after_s: int = Field(
        default=10, gt=0,
        description="an order quiet this long (event time) is kept compressed; live, a settled one leaves memory for the store"
        " (above checkpoint_interval_s)",
    )
    checkpoint_interval_s: float = Field(default=1.0, gt=0, description="how often engine state and offsets are saved")
    catch_up_checkpoint_interval_s: float | None = Field(
        default=None, gt=0,
        description="how often while a partition catches up a backlog of old events (default 15 x checkpoint_interval_s;"
        " a crash while catching up re-reads up to about this much)",
    )
    remote_refresh_s: float = Field(default=1.0, ge=0, description="max age of other replicas' checkpointed buckets")
    gauge_max_age_s: float = Field(
        default=0.25, ge=0,
        description="scrapes of /metrics this soon after the KPI gauges were computed reuse them (0: computed at every scrape)",
    )
    topic_prefix: str = Field(default="", description="prefix of the consumed topic names (tests use private topics)")
    consumer_group: str | None = Field(default=None, description="Kafka consumer group; default the service name")
    stream_retry_max_s: float = Field(default=10.0, gt=0, description="longest pause between retries of a failing checkpoint or restore")

    @model_validator(mode="after")
    def _quiet_time_above_the_checkpoint_interval(self) -> KpiSettings:
        # else an order changed since the last checkpoint would be compressed before it, and
        # thawed again only to write its row (docs/kpi-decisions.md, "Memory")
        if self.cold_after_s <= self.checkpoint_interval_s:
            raise ValueError("cold_after_s must be longer than checkpoint_interval_s")
        return self

    @property
    def rules(self) -> KpiRules:
        return KpiRules(
            claim_window_s=self.claim_window_s,
            merchant_timezone=self.merchant_timezone,
            holidays=tuple(self.holidays),
            targets=dict(self.targets),
            settled_retention_s=self.settled_retention_s,
            cold_after_s=self.cold_after_s,
            in_flight_cold_after_s=self.cold_after_s,
            lower_is_better=frozenset(
                {kpi for kpi in LOWER_IS_BETTER if self.target_directions.get(kpi, "lower") == "lower"}
                | {kpi for kpi, direction in self.target_directions.items() if direction == "lower"}
            ),
        )

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(self.topic_prefix + topic for topic in ALL_TOPICS)

    @property
    def group_id(self) -> str:
        return self.consumer_group or self.service_name
