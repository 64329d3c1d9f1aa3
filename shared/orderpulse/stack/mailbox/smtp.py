"""The SMTP side: a real SMTP server (aiosmtpd) whose every accepted message goes to the mailbox."""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.smtp import SMTP, Envelope, Session

from orderpulse.stack.mailbox.mail import Mailbox

log = logging.getLogger(__name__)

SERVER_NAME = "orderpulse-mailbox"


class StoringHandler:
    """aiosmtpd handler: every message is answered 250; a repeated Message-ID is not stored twice,
    so a sender retrying after a lost reply leaves exactly one copy."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        number = self.mailbox.store(raw)
        if number is None:
            log.info("duplicate message not stored again", extra={"recipients": len(envelope.rcpt_tos)})
            return "250 OK: already stored (same Message-ID)"
        log.info("message stored", extra={"number": number, "recipients": len(envelope.rcpt_tos)})
        return f"250 OK: stored as {number}.eml"


async def start_smtp_server(mailbox: Mailbox, host: str, port: int) -> asyncio.Server:
    """Listen on host:port in the running loop; close the returned server to stop."""
    handler = StoringHandler(mailbox)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, hostname=SERVER_NAME, enable_SMTPUTF8=True, decode_data=False),
        host=host,
        port=port,
    )
