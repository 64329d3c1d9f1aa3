"""`python -m orderpulse.stack.mailbox`: the SMTP sink and the HTTP receiver in one process, until SIGTERM."""

from __future__ import annotations

import asyncio
import logging

import uvicorn
from pydantic import Field, SecretStr

from orderpulse.observability.logs import configure_logging
from orderpulse.stack.credentials import WEBHOOK_SECRET
from orderpulse.stack.mailbox.mail import Mailbox
from orderpulse.stack.mailbox.smtp import start_smtp_server
from orderpulse.stack.mailbox.texts import TextMessages
from orderpulse.stack.mailbox.web import build_receiver_app
from orderpulse.stack.settings import StackSettings

log = logging.getLogger("orderpulse.stack.mailbox")


class MailboxSettings(StackSettings):
    """The stack's settings (state folder, host, mail ports) plus the secret SMS and webhooks are signed with."""

    signing_secrets: dict[str, SecretStr] = Field(default_factory=dict)

    def webhook_secret(self) -> str:
        secret = self.signing_secrets.get(WEBHOOK_SECRET)
        if secret is None:
            raise SystemExit(f"ORDERPULSE_SIGNING_SECRETS has no {WEBHOOK_SECRET!r} secret (whsec_<base64>)")
        return secret.get_secret_value()


async def serve(settings: MailboxSettings) -> None:
    state = settings.state_dir.resolve()
    mailbox, texts = Mailbox(state / "mail"), TextMessages(state / "sms")
    app = build_receiver_app(mailbox, texts, settings.webhook_secret())
    smtp = await start_smtp_server(mailbox, settings.host, settings.mail_smtp_port)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.mail_http_port, lifespan="off", access_log=False, log_config=None
    )
    log.info(
        "mailbox listening",
        extra={"smtp": f"{settings.host}:{settings.mail_smtp_port}", "http": f"{settings.host}:{settings.mail_http_port}"},
    )
    try:
        await uvicorn.Server(config).serve()  # returns on SIGTERM / SIGINT
    finally:
        smtp.close()
        await asyncio.wait_for(smtp.wait_closed(), timeout=5)


def main() -> None:
    settings = MailboxSettings()
    configure_logging("mailbox")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
