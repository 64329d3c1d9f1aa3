"""Email over SMTP (aiosmtplib): plain text + HTML, Message-ID from the notification's unique key,
List-Unsubscribe. Connections are kept open between mails; a second SMTP server takes over when
the first fails."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

import aiosmtplib

from notify_svc.adapters.failover import first_that_takes_it
from notify_svc.adapters.rendering import MessageRenderer
from notify_svc.adapters.smtp_pool import SmtpPool, SmtpServer
from notify_svc.service_layer.ports import OutgoingMessage

MESSAGE_ID_DOMAIN = "notify.orderpulse"


def message_id(notification_id: str) -> str:
    """The same notification always gets the same Message-ID, so a sink or provider can drop a re-send."""
    return f"<{notification_id}@{MESSAGE_ID_DOMAIN}>"


def build_email(
    message: OutgoingMessage, renderer: MessageRenderer, *, sender: str, unsubscribe_address: str, now_utc: datetime
) -> MIMEMultipart:
    """multipart/alternative, text then HTML. The compat32 MIME classes, not `EmailMessage`: the
    modern header policy parses every header it is given and costs ~15 times as much per mail."""
    rendered = renderer.render(message)
    email = MIMEMultipart("alternative")
    email["From"] = sender
    email["To"] = formataddr((message.name, message.to), charset="utf-8") if message.name else message.to
    email["Subject"] = Header(rendered.subject, "utf-8").encode() if not rendered.subject.isascii() else rendered.subject
    email["Date"] = format_datetime(now_utc)
    email["Message-ID"] = message_id(message.notification_id)
    email["List-Unsubscribe"] = f"<mailto:{unsubscribe_address}?subject=unsubscribe%20{message.customer_id}>"
    email["X-OrderPulse-Order-Id"] = message.order_id
    email["X-OrderPulse-Milestone"] = message.milestone
    email.attach(MIMEText(rendered.text, "plain", "utf-8"))
    email.attach(MIMEText(rendered.html, "html", "utf-8"))
    email.set_boundary(mime_boundary())
    return email


def mime_boundary() -> str:
    """A boundary chosen here rather than by the generator, which would compile a new regular
    expression for every mail to search the parts for its random one (~5 % of notify-svc's sending
    time in a profile). Both parts are base64 (utf-8), whose alphabet has no "-" or "_", so a line
    "--<this>" cannot occur inside them."""
    return f"=_orderpulse_{uuid.uuid4().hex}"


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
