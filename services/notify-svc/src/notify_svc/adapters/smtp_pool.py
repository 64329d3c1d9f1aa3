"""Open SMTP connections kept for the next mail: connecting, EHLO and QUIT cost more than a message.

A connection that fails is dropped. A reused one may have been closed by the server while it
sat idle, so a failure on it is tried once more on a fresh connection; a re-sent mail carries
the same Message-ID, which the receiving side deduplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import aiosmtplib

from notify_svc.adapters.mime import Mail

# our EHLO name; without one aiosmtplib asks the resolver (socket.getfqdn) for every connection
LOCAL_HOSTNAME = "notify.orderpulse.local"


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False


class SmtpPool:
    def __init__(self, server: SmtpServer, *, size: int, timeout_s: float) -> None:
        self.server = server
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(size)
        self._timeout_s = timeout_s

    async def send(self, mail: Mail) -> None:
        async with self._slots:
            reused = bool(self._idle)
            client = self._idle.pop() if reused else await self._connect()
            try:
                await _transact(client, mail)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                await _close(client)
                if not reused:
                    raise
                client = await self._connect()
                try:
                    await _transact(client, mail)
                except BaseException:
                    await _close(client)
                    raise
            except BaseException:
                await _close(client)
                raise
            self._idle.append(client)

    async def _connect(self) -> aiosmtplib.SMTP:
        server = self.server
        client = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            timeout=self._timeout_s,
            local_hostname=LOCAL_HOSTNAME,
            use_tls=False,
            start_tls=server.starttls,
            username=server.username,
            password=server.password,
        )
        await client.connect()  # logs in when a username and password are set
        return client

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                await _close(client)


async def _transact(client: aiosmtplib.SMTP, mail: Mail) -> None:
    await client.sendmail(mail.sender, [mail.recipient], mail.data, mail_options=["SMTPUTF8"] if mail.smtputf8 else None)


async def _close(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):  # closing a broken connection must not mask what broke it
        client.close()
