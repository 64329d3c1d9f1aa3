"""The channel adapters against real servers: failover to the second provider, and a re-send
(after a crash between sending and recording it) carrying the same Message-ID / webhook-id."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from notify_stack import WEBHOOK_SECRET
from notify_svc.adapters.email import SmtpEmail
from notify_svc.adapters.rendering import MessageRenderer
from notify_svc.adapters.smtp_pool import SmtpServer
from notify_svc.adapters.webhooks import SignedHttpChannel, sms_body
from notify_svc.domain.values import notification_id
from notify_svc.service_layer.ports import OutgoingMessage, SendFailed
from orderpulse.stack.processes import free_port
from standardwebhooks import Webhook


def message(channel: str, to: str) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=notification_id("ord-9", "delivered", channel, "shp-1"),
        channel=channel,
        milestone="delivered",
        order_id="ord-9",
        customer_id="cus-9",
        to=to,
        name="Cy",
        locale="de",
        tracking_url="https://shop.test/track/t",
    )


def smtp(*ports: int) -> SmtpEmail:
    servers = [SmtpServer("127.0.0.1", port) for port in ports]
    return SmtpEmail(
        servers, MessageRenderer(), sender="shop@example.com", unsubscribe_address="u@example.com", timeout_s=2.0,
        connections=2, clock=lambda: datetime.now(UTC),
    )


async def test_email_fails_over_to_the_second_smtp_server_and_a_resend_keeps_its_message_id(smtp_sink):
    email = smtp(free_port(), smtp_sink.port)
    await email.send(message("email", "cy@example.com"))
    await email.send(message("email", "cy@example.com"))  # the crash case: sent, but not recorded as sent
    assert smtp_sink.received == 2 and len(smtp_sink.messages) == 1
    [stored] = smtp_sink.messages
    assert "Ihre Bestellung ord-9" in stored["Subject"]


async def test_email_with_every_server_down_fails_without_naming_the_recipient():
    with pytest.raises(SendFailed) as failed:
        await smtp(free_port(), free_port()).send(message("email", "cy@example.com"))
    assert "primary" in str(failed.value) and "fallback" in str(failed.value) and "cy@example.com" not in str(failed.value)


async def test_sms_fails_over_to_the_second_provider_with_a_valid_signature(sms_receiver):
    sms_receiver.fail_next = 0
    async with httpx.AsyncClient(timeout=2.0) as client:
        channel = SignedHttpChannel(
            "sms", [f"http://127.0.0.1:{free_port()}/sms", f"{sms_receiver.url}/sms"], secret=WEBHOOK_SECRET, body=sms_body,
            renderer=MessageRenderer(), client=client, clock=lambda: datetime.now(UTC),
        )
        await channel.send(message("sms", "+4915100000000"))
    [request] = sms_receiver.accepted
    payload = Webhook(WEBHOOK_SECRET).verify(request.body, request.headers)
    assert payload["to"] == "+4915100000000" and request.headers["webhook-id"] == message("sms", "").notification_id


async def test_a_kept_connection_the_server_dropped_is_replaced_and_the_mail_still_goes(smtp_sink):
    email = smtp(smtp_sink.port)
    await email.send(message("email", "cy@example.com"))
    smtp_sink.stop()  # the server goes away and comes back: the kept connection is dead
    smtp_sink.restart()
    again = message("email", "cy@example.com")
    await email.send(OutgoingMessage(**{**again.__dict__, "notification_id": "ntf_second", "milestone": "shipped"}))
    assert len(smtp_sink.messages) == 2
    await email.close()
