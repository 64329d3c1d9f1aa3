"""Email over SMTP (aiosmtplib): plain text + HTML, Message-ID from the notification's unique key,
List-Unsubscribe. A second SMTP server takes over when the first fails."""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from notify_svc import metrics
from notify_svc.adapters.rendering import MessageRenderer
from notify_svc.service_layer.ports import OutgoingMessage, SendFailed

MESSAGE_ID_DOMAIN = "notify.orderpulse"


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False


def message_id(notification_id: str) -> str:
    """The same notification always gets the same Message-ID, so a sink or provider can drop a re-send."""
    return f"<{notification_id}@{MESSAGE_ID_DOMAIN}>"


def build_email(
    message: OutgoingMessage, renderer: MessageRenderer, *, sender: str, unsubscribe_address: str, now_utc
) -> EmailMessage:
    rendered = renderer.render(message)
    email = EmailMessage()
    email["From"] = sender
    email["To"] = formataddr((message.name, message.to)) if message.name else message.to
    email["Subject"] = rendered.subject
    email["Date"] = format_datetime(now_utc)
    email["Message-ID"] = message_id(message.notification_id)
    email["List-Unsubscribe"] = f"<mailto:{unsubscribe_address}?subject=unsubscribe%20{message.customer_id}>"
    email["X-OrderPulse-Order-Id"] = message.order_id
    email["X-OrderPulse-Milestone"] = message.milestone
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    return email


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
        clock,
    ) -> None:
        self._servers = servers
        self._renderer = renderer
        self._sender = sender
        self._unsubscribe = unsubscribe_address
        self._timeout_s = timeout_s
        self._clock = clock

    async def send(self, message: OutgoingMessage) -> None:
        email = build_email(
            message, self._renderer, sender=self._sender, unsubscribe_address=self._unsubscribe, now_utc=self._clock()
        )
        errors = []
        for index, server in enumerate(self._servers):
            provider = "primary" if index == 0 else "fallback"
            started = time.perf_counter()
            try:
                await aiosmtplib.send(
                    email,
                    hostname=server.host,
                    port=server.port,
                    username=server.username,
                    password=server.password,
                    start_tls=server.starttls,
                    use_tls=False,
                    timeout=self._timeout_s,
                )
                return
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                errors.append(f"{provider} {server.host}:{server.port}: {type(error).__name__}: {error}")
            finally:
                metrics.provider_seconds.labels("email", provider).observe(time.perf_counter() - started)
        raise SendFailed("; ".join(errors).replace(message.to, "<recipient>"))  # no addresses in logs
