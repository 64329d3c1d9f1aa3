"""The supervisor's side of the mail and SMS sink: spawn `python -m orderpulse.stack.mailbox`, wait
for it, and tell the services (and stack.json) where it listens."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from orderpulse.stack.credentials import WEBHOOK_SECRET
from orderpulse.stack.processes import spawn
from orderpulse.stack.settings import StackSettings


@dataclass(frozen=True)
class MailSink:
    host: str
    smtp_port: int
    http_port: int

    @classmethod
    def of(cls, settings: StackSettings) -> MailSink:
        return cls(host=settings.host, smtp_port=settings.mail_smtp_port, http_port=settings.mail_http_port)

    @property
    def smtp(self) -> str:
        return f"{self.host}:{self.smtp_port}"

    @property
    def page(self) -> str:
        return f"http://{self.host}:{self.http_port}/"

    def describe(self) -> dict[str, str]:
        """stack.json's `mail`: where to send mail, SMS and webhooks, and the page that shows them."""
        return {"smtp": self.smtp, "page": self.page, "sms": self.page + "sms", "webhooks": self.page + "webhooks"}

    def service_env(self) -> dict[str, str]:
        """What notify-svc reads to reach the sink."""
        return {
            "ORDERPULSE_SMTP_HOST": self.host,
            "ORDERPULSE_SMTP_PORT": str(self.smtp_port),
            "ORDERPULSE_SMS_URL": self.page + "sms",
            "ORDERPULSE_WEBHOOK_URL": self.page + "webhooks",
        }

    def spawn(self, state: Path, webhook_secret: str) -> subprocess.Popen:
        """The mailbox process; of the stack's secrets it gets only the one SMS and webhooks are signed with."""
        env = dict(os.environ)
        env.update(
            {
                "ORDERPULSE_STATE_DIR": str(state),
                "ORDERPULSE_HOST": self.host,
                "ORDERPULSE_MAIL_SMTP_PORT": str(self.smtp_port),
                "ORDERPULSE_MAIL_HTTP_PORT": str(self.http_port),
                "ORDERPULSE_SIGNING_SECRETS": orjson.dumps({WEBHOOK_SECRET: webhook_secret}).decode(),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return spawn(
            [sys.executable, "-m", "orderpulse.stack.mailbox"], log_path=state / "logs" / "mailbox.log", env=env
        )

    def wait_ready(self, process: subprocess.Popen, timeout_s: float, log_path: Path) -> None:
        """Until the page answers (the SMTP server listens before it); raises if the process dies or time runs out."""
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=2.0) as client:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the mailbox exited with code {process.returncode}; see {log_path}")
                try:
                    if client.get(self.page + "healthz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the mailbox did not answer at {self.page} within {timeout_s} s; see {log_path}")
                time.sleep(0.1)
