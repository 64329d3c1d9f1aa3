"""SMS and webhooks: a JSON POST to a provider URL, signed per Standard Webhooks
(`webhook-id` = the notification id, `webhook-timestamp`, `webhook-signature`), with a second
provider URL taking over when the first fails. A 2xx answer is delivery; anything else is not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
import orjson
from standardwebhooks import Webhook

from notify_svc.adapters.failover import first_that_takes_it
from notify_svc.adapters.rendering import MessageRenderer
from notify_svc.service_layer.ports import OutgoingMessage


def signed_request(webhook: Webhook, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": webhook.sign(message_id, now, body),
    }


def sms_body(message: OutgoingMessage, renderer: MessageRenderer) -> bytes:
    return orjson.dumps(
        {
            "notification_id": message.notification_id,
            "to": message.to,
            "text": renderer.render(message).sms,
            "order_id": message.order_id,
            "milestone": message.milestone,
        }
    )


def webhook_body(message: OutgoingMessage, _renderer: MessageRenderer) -> bytes:
    return orjson.dumps(
        {
            "type": f"orderpulse.notification.{message.milestone}",
            "notification_id": message.notification_id,
            "order_id": message.order_id,
            "customer_id": message.customer_id,
            "milestone": message.milestone,
            "tracking_url": message.tracking_url,
            "shipments": [
                {"shipment_id": s.shipment_id, "carrier": s.carrier, "tracking_number": s.tracking_number}
                for s in message.shipments
            ],
            "details": message.details,
        }
    )


class SignedHttpChannel:
    """One channel (`sms` or `webhook`) over HTTP; `urls` in failover order."""

    def __init__(
        self,
        channel: str,
        urls: list[str],
        *,
        secret: str,
        body: Callable[[OutgoingMessage, MessageRenderer], bytes],
        renderer: MessageRenderer,
        client: httpx.AsyncClient,
        clock: Callable[[], datetime],
    ) -> None:
        self._channel = channel
        self._urls = urls
        self._webhook = Webhook(secret)
        self._body = body
        self._renderer = renderer
        self._client = client
        self._clock = clock

    async def send(self, message: OutgoingMessage) -> None:
        body = self._body(message, self._renderer)
        async def attempt(url: str) -> str | None:
            headers = signed_request(self._webhook, message.notification_id, body, self._clock())
            try:
                response = await self._client.post(url, content=body, headers=headers)
            except httpx.HTTPError as error:
                return f"{type(error).__name__}: {error}"
            return None if 200 <= response.status_code < 300 else f"answered {response.status_code}"

        await first_that_takes_it(self._channel, self._urls, attempt, redact=message.to)
