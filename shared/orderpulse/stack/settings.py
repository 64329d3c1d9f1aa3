"""Settings of the local stack (`orderpulse up`): ports, the state folder, or external parts."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERPULSE_", frozen=True, extra="ignore")

    state_dir: Path = Path(".orderpulse")
    host: str = "127.0.0.1"
    postgres_port: int = 15432
    kafka_port: int = 19092
    service_ports: dict[str, int] = Field(default_factory=dict, description='e.g. {"order-svc": 9001}')
    mail_smtp_port: int = Field(default=2525, description="the mail sink's SMTP server")
    mail_http_port: int = Field(default=8025, description="the SMS/webhook receiver and the mailbox page")
    database_url: str | None = Field(default=None, description="use this PostgreSQL instead of the embedded one")
    kafka_bootstrap: str | None = Field(default=None, description="use this Kafka instead of the embedded broker")
    kafka_enable_idempotence: bool | None = None
    topic_partitions: int = 12
    topic_replication: int = 1
    carriers: tuple[str, ...] = ("dhl", "ups", "fedex")
    ready_timeout_s: float = 60.0
    durable_postgres: bool = True
