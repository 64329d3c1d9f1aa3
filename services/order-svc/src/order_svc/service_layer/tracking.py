"""The customer's tracking page: a signed link opens one order's milestones and parcels.

The token is the credential (no API key): its signature and purpose are checked, its subject
is the order id, and it opens that order only. A forged or unknown link raises
`TrackingLinkNotFound`; a genuine but expired one `TrackingLinkExpired`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from orderpulse.signed_tokens import ExpiredToken, ForgedToken, TokenSigner

from order_svc.domain.tracking import OrderTracking, order_tracking
from order_svc.service_layer.ports import OrderUnitOfWork, TimelineEntry

log = logging.getLogger(__name__)

TRACKING_PURPOSE = "tracking"
_PAGE_SIZE = 500


class TrackingLinkNotFound(Exception):
    """Forged, malformed, made for another page, or for an order order-svc does not know."""


class TrackingLinkExpired(Exception):
    """Genuine, but past its expiry."""


@dataclass(frozen=True)
class TrackingPages:
    """`signer` is None when no `tracking` secret is configured: then no link opens anything."""

    new_uow: Callable[[], OrderUnitOfWork]
    signer: TokenSigner | None
    clock: Callable[[], datetime]

    async def track(self, token: str) -> OrderTracking:
        order_id = self._order_id(token)
        async with self.new_uow() as uow:
            order = await uow.orders.get(order_id)
            if order is None:
                raise TrackingLinkNotFound("the link names an order that is not known")
            customer = await uow.customers.get(order.customer_id)
            facts = await _whole_timeline(uow, order_id)
        return order_tracking(
            order_id=order.order_id,
            status=order.status.value,
            placed_at=order.placed_at,
            promised_by=order.promised_by,
            facts=facts,
            locale=customer.locale if customer is not None else "en",
            timezone=customer.timezone if customer is not None else "UTC",
        )

    def _order_id(self, token: str) -> str:
        if self.signer is None:
            log.warning("a tracking link was opened but no `tracking` signing secret is configured")
            raise TrackingLinkNotFound("tracking links are not configured")
        try:
            return self.signer.verify(token, now=self.clock())
        except ForgedToken as error:
            raise TrackingLinkNotFound(str(error)) from None
        except ExpiredToken as error:
            raise TrackingLinkExpired(str(error)) from None


async def _whole_timeline(uow: OrderUnitOfWork, order_id: str) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    after = None
    while True:
        page = await uow.timeline.for_order(order_id, limit=_PAGE_SIZE, after=after)
        entries.extend(page)
        if len(page) < _PAGE_SIZE:
            return entries
        after = (page[-1].occurred_at, page[-1].position)
