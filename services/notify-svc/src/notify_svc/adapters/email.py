"""Email over SMTP (aiosmtplib): plain text + HTML, Message-ID from the notification's unique key,
List-Unsubscribe. Connections are kept open between mails; a second SMTP server takes over when
the first fails."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime

import aiosmtplib

from notify_svc.adapters.failover import first_that_takes_it
from notify_svc.adapters.mime import Mail, address, encoded_text, multipart_alternative, one_line, sender_header
from notify_svc.adapters.rendering import MessageRenderer
from notify_svc.adapters.smtp_pool import SmtpPool, SmtpServer
from notify_svc.service_layer.ports import OutgoingMessage

MESSAGE_ID_DOMAIN = "notify.orderpulse"


def message_id(notification_id: str) -> str:
    """The same notification always gets the same Message-ID, so a sink or provider can drop a re-send."""
    return f"<{notification_id}@{MESSAGE_ID_DOMAIN}>"


def build_email(
    message: OutgoingMessage, renderer: MessageRenderer, *, sender: str, unsubscribe_address: str, now_utc: datetime
) -> Mail:
    """multipart/alternative, text then HTML, from `sender` (`Name <addr>`) to the message's address."""
    rendered = renderer.render(message)
    from_header, sender_address = sender_header(sender)
    headers = [
        ("From", from_header),
        ("To", address(message.name, message.to)),
        ("Subject", encoded_text(rendered.subject)),
        ("Date", format_datetime(now_utc)),
        ("Message-ID", message_id(message.notification_id)),
        ("List-Unsubscribe", f"<mailto:{one_line(unsubscribe_address)}?subject=unsubscribe%20{one_line(message.customer_id)}>"),
        ("X-OrderPulse-Order-Id", one_line(message.order_id)),
        ("X-OrderPulse-Milestone", message.milestone),
    ]
    return Mail(
        sender=sender_address,
        recipient=message.to,
        data=multipart_alternative(headers, rendered.text, rendered.html),
        smtputf8=not (sender_address.isascii() and message.to.isascii()),
    )


class SmtpEmail:
    """Sends one rendered email; tries each configured server in turn."""

    def __init__(
        self,
        servers: list[SmtpServer],
        renderer: MessageRenderer,
        *,
        sender: str,
        unsubscribe_address: str,
        timeout_s: float,
        connections: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._pools = [SmtpPool(server, size=connections, timeout_s=timeout_s) for server in servers]
        self._renderer = renderer
        self._sender = sender
        self._unsubscribe = unsubscribe_address
        self._clock = clock

    async def send(self, message: OutgoingMessage) -> None:
        email = build_email(
            message, self._renderer, sender=self._sender, unsubscribe_address=self._unsubscribe, now_utc=self._clock()
        )

        async def attempt(pool: SmtpPool) -> str | None:
            try:
                await pool.send(email)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                return f"{pool.server.host}:{pool.server.port}: {type(error).__name__}: {error}"
            return None

        await first_that_takes_it("email", self._pools, attempt, redact=message.to)

    async def close(self) -> None:
        for pool in self._pools:
            await pool.close()
