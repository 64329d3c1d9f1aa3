"""notify-svc settings: the platform's and the merchant calendar, plus providers, costs and timings.

Environment (all `ORDERPULSE_`-prefixed): `SMTP_HOST`, `SMTP_PORT`, `SMTP_FALLBACK_HOST`,
`SMTP_FALLBACK_PORT`, `SMS_URL`, `SMS_FALLBACK_URL`, `WEBHOOK_URL`, `WEBHOOK_FALLBACK_URL`,
`PUBLIC_URLS='{"order-svc": "https://shop.example/orders-api"}'`, `MAIL_FROM`,
`NOTIFICATION_UNIT_COSTS='{"email": "0.001", "sms": "0.05"}'`, `DIGEST_WINDOW_S`, ...
Signing secrets (`ORDERPULSE_SIGNING_SECRETS`): `tracking` signs the tracking links order-svc
verifies; `notify-webhooks` (a `whsec_<base64>` secret) signs SMS and webhook requests.
"""

from __future__ import annotations

from decimal import Decimal

from orderpulse.settings import CalendarSettings, PlatformSettings
from pydantic import Field, SecretStr, field_validator

TRACKING_SECRET = "tracking"
WEBHOOK_SECRET = "notify-webhooks"


class NotifySettings(CalendarSettings, PlatformSettings):
    service_name: str = "notify-svc"
    consumer_batch_size: int = Field(
        default=100, ge=1, description="smaller than the platform's 500: a message waits for its batch's commit"
    )
    consumer_fetch_max_wait_ms: int = Field(
        default=100, ge=1, description="not the platform's 500: a trickle of triggers waited for Tansu's fetch (p50 ~150 ms at 500)"
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=1, le=65535)
    smtp_fallback_host: str | None = Field(default=None, description="a second SMTP server, tried when the first fails")
    smtp_fallback_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "OrderPulse <orders@orderpulse.local>"
    unsubscribe_address: str = Field(
        default="unsubscribe@orderpulse.local", description="mailto: target of the List-Unsubscribe header"
    )
    sms_url: str = "http://127.0.0.1:8025/sms"
    sms_fallback_url: str | None = None
    webhook_url: str = "http://127.0.0.1:8025/webhooks"
    webhook_fallback_url: str | None = None
    provider_timeout_s: float = Field(default=10.0, gt=0)

    public_urls: dict[str, str] = Field(
        default_factory=dict, description="service name -> public base URL; order-svc's serves /track/{token}"
    )
    tracking_link_ttl_s: int = Field(default=90 * 24 * 3600, gt=0)

    digest_window_s: float = Field(
        default=120.0, ge=0, description="parcels of one order reaching a milestone this close together share a message"
    )
    stale_after_s: float = Field(default=24 * 3600.0, gt=0, description="older triggers are suppressed as stale")
    courtesy_call_within_s: float = Field(
        default=4 * 3600.0, ge=0, description="a courtesy call is due this much working time after its trigger"
    )
    retry_max_attempts: dict[str, int] = Field(default_factory=lambda: {"email": 6, "sms": 5, "webhook": 8})
    retry_base_s: float = Field(default=5.0, gt=0)
    retry_cap_s: float = Field(default=900.0, gt=0)
    notification_unit_costs: dict[str, Decimal] = Field(
        default_factory=lambda: {"email": Decimal("0.001"), "sms": Decimal("0.05"), "webhook": Decimal("0")}
    )
    sender_batch_size: int = Field(default=100, ge=1, le=1000)
    sender_concurrency: int = Field(
        default=16, ge=1, le=256, description="sends in flight at once, all senders together; SMTP connections kept per server"
    )
    sender_workers: int = Field(
        default=2, ge=1, le=32, description="batches in flight at once: a message committed while one batch is being "
        "sent is claimed and sent by another sender instead of waiting for that batch to finish"
    )
    sender_max_sleep_s: float = Field(default=5.0, gt=0)

    @field_validator("retry_max_attempts")
    @classmethod
    def _at_least_one_attempt(cls, value: dict[str, int]) -> dict[str, int]:
        for channel, attempts in value.items():
            if attempts < 1:
                raise ValueError(f"retry_max_attempts[{channel!r}] must be at least 1")
        return value

    def public_url(self, service: str, default: str) -> str:
        return self.public_urls.get(service, default).rstrip("/")

    def secret(self, name: str) -> str | None:
        secret = self.signing_secrets.get(name)
        return None if secret is None else secret.get_secret_value()
