"""Event payloads of the `orderpulse.customers` topic (key: customer id)."""

from __future__ import annotations

from collections.abc import Mapping

from .common import CustomerTier, EventData, Id


class CustomerUpserted(EventData):
    """A customer profile was created or changed; the latest one per key wins."""

    customer_id: Id
    tier: CustomerTier
    name: str
    email: str
    phone: str
    locale: str
    timezone: str
    account_manager: str | None = None


EVENTS: Mapping[str, type[EventData]] = {
    "customer.upserted.v1": CustomerUpserted,
}
