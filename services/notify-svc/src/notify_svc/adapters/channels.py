"""The channels notify-svc sends on, built from settings: email (SMTP), SMS and webhooks (HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import httpx

from notify_svc.adapters.email import SmtpEmail
from notify_svc.adapters.rendering import MessageRenderer
from notify_svc.adapters.smtp_pool import SmtpServer
from notify_svc.adapters.webhooks import SignedHttpChannel, sms_body, webhook_body
from notify_svc.service_layer.ports import OutgoingMessage, SendFailed
from notify_svc.settings import WEBHOOK_SECRET, NotifySettings


class Sender:
    def __init__(self, by_channel: Mapping[str, object], client: httpx.AsyncClient | None = None) -> None:
        self._by_channel = dict(by_channel)
        self._client = client  # shared by the HTTP channels

    async def send(self, message: OutgoingMessage) -> None:
        channel = self._by_channel.get(message.channel)
        if channel is None:
            raise SendFailed(f"no provider is configured for {message.channel}")
        await channel.send(message)

    async def close(self) -> None:
        for channel in self._by_channel.values():
            close = getattr(channel, "close", None)
            if close is not None:
                await close()
        if self._client is not None:
            await self._client.aclose()


def build_sender(settings: NotifySettings, *, clock: Callable[[], datetime]) -> Sender:
    renderer = MessageRenderer()
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    servers = [SmtpServer(settings.smtp_host, settings.smtp_port, settings.smtp_username, password, settings.smtp_starttls)]
    if settings.smtp_fallback_host:
        servers.append(
            SmtpServer(settings.smtp_fallback_host, settings.smtp_fallback_port, settings.smtp_username, password, settings.smtp_starttls)
        )
    channels: dict[str, object] = {
        "email": SmtpEmail(
            servers,
            renderer,
            sender=settings.mail_from,
            unsubscribe_address=settings.unsubscribe_address,
            timeout_s=settings.provider_timeout_s,
            connections=settings.sender_concurrency,
            clock=clock,
        )
    }
    secret = settings.secret(WEBHOOK_SECRET)
    client = None
    if not secret and settings.environment == "production":
        raise ValueError(f"notify-svc needs the `{WEBHOOK_SECRET}` signing secret (whsec_...) to sign SMS and webhooks")
    if secret:
        client = httpx.AsyncClient(timeout=settings.provider_timeout_s)
        for channel, primary, fallback, body in (
            ("sms", settings.sms_url, settings.sms_fallback_url, sms_body),
            ("webhook", settings.webhook_url, settings.webhook_fallback_url, webhook_body),
        ):
            urls = [primary, *([fallback] if fallback else [])]
            channels[channel] = SignedHttpChannel(
                channel, urls, secret=secret, body=body, renderer=renderer, client=client, clock=clock
            )
    return Sender(channels, client)
