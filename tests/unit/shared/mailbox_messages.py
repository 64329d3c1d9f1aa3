"""Messages and signed requests as notify-svc would send them to the local sink."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.message import EmailMessage

import orjson
from standardwebhooks.webhooks import Webhook

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"a test secret for the sink, 32 b").decode()


def email(message_id: str | None = "<ord_1.shipped.email@orderpulse>", *, to: str = "ada@example.com",
          subject: str = "Your order ord_1 has shipped", text: str = "It is on its way.",
          html: str | None = "<p>It is <b>on its way</b>.</p>") -> bytes:
    message = EmailMessage()
    message["From"] = "OrderPulse <orders@orderpulse.local>"
    message["To"] = to
    message["Subject"] = subject
    if message_id is not None:
        message["Message-ID"] = message_id
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return bytes(message)


def signed_post(payload: object, webhook_id: str, *, secret: str = WEBHOOK_SECRET,
                at: datetime | None = None) -> tuple[bytes, dict[str, str]]:
    """The JSON body and the Standard Webhooks headers a sender signs it with."""
    return signed_raw(orjson.dumps(payload), webhook_id, secret=secret, at=at)


def signed_raw(body: bytes, webhook_id: str, *, secret: str = WEBHOOK_SECRET,
               at: datetime | None = None) -> tuple[bytes, dict[str, str]]:
    moment = at or datetime.now(UTC)
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, moment, body),
        "content-type": "application/json",
    }
    return body, headers
