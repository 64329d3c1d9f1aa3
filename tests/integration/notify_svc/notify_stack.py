"""What notify-svc's integration tests share besides fixtures: the settings a test's app runs
with and the secrets and shop URL they sign and link with (imported by name: a module of its own,
not `conftest`, which every test folder has one of)."""

from __future__ import annotations

from typing import Any

from notify_svc.settings import NotifySettings
from orderpulse.testing.infrastructure import Infrastructure
from orderpulse.testing.service import TEST_SIGNING_SECRETS, service_settings

TRACKING_SECRET = "test-secret-tracking-links-0123456789"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SHOP_URL = "https://shop.test"


def notify_settings(infrastructure: Infrastructure, **overrides: Any) -> NotifySettings:
    secrets = {**TEST_SIGNING_SECRETS, "tracking": TRACKING_SECRET, "notify-webhooks": WEBHOOK_SECRET}
    values = dict(
        signing_secrets=secrets,
        public_urls={"order-svc": SHOP_URL},
        digest_window_s=1.5,
        retry_base_s=0.05,
        retry_cap_s=0.2,
        provider_timeout_s=2.0,
        sender_max_sleep_s=0.5,
    )
    values.update(overrides)
    return service_settings(NotifySettings, infrastructure, **values)
