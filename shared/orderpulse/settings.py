"""Settings: one frozen object per service, read from `ORDERPULSE_*` environment variables.

Build it once in the service's `main.py` and pass it down; never at import time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    consumer_batch_size: int = 500
    consumer_session_timeout_ms: int = 10_000
    consumer_heartbeat_interval_ms: int = 1_000
    consumer_max_attempts: int = 3
    consumer_retry_backoff_s: float = 0.2
    dedup_retention_s: int = 14 * 24 * 3600
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
    def _no_placeholder_secrets_in_production(self) -> "PlatformSettings":
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
