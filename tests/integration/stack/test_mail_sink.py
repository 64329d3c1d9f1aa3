"""The mail and SMS sink as `orderpulse up` runs it: a real SMTP conversation and signed HTTP posts."""

from __future__ import annotations

import base64
import secrets
import signal
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
import orjson
import pytest
from orderpulse.stack.mail_sink import MailSink
from orderpulse.stack.processes import free_port, stop
from standardwebhooks.webhooks import Webhook

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def sink(tmp_path: Path):
    """The mailbox process, spawned and awaited exactly as the supervisor does it."""
    mail = MailSink(host="127.0.0.1", smtp_port=free_port(), http_port=free_port())
    process = mail.spawn(tmp_path, SECRET)
    try:
        mail.wait_ready(process, timeout_s=30, log_path=tmp_path / "logs" / "mailbox.log")
        yield mail
    finally:
        stop(process)
    # uvicorn finishes its shutdown, then re-raises the signal it got
    assert process.returncode in (0, -signal.SIGTERM), (tmp_path / "logs" / "mailbox.log").read_text()
    assert "Finished server process" in (tmp_path / "logs" / "mailbox.log").read_text()


def order_email(message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "OrderPulse <orders@orderpulse.local>"
    message["To"] = "ada@example.com"
    message["Subject"] = "Your order ord_7 has shipped"
    message["Message-ID"] = message_id
    message["List-Unsubscribe"] = "<http://127.0.0.1:8003/unsubscribe/x>"
    message.set_content("Parcel 1Z999 is on its way.")
    message.add_alternative("<p>Parcel <b>1Z999</b> is on its way.</p>", subtype="html")
    return message


def signed(payload: dict, webhook_id: str, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(payload)
    now = datetime.now(UTC)
    return body, {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, body),
        "content-type": "application/json",
    }


async def test_mail_sent_over_smtp_is_stored_once_per_message_id(sink: MailSink, tmp_path: Path):
    message = order_email("<ord_7.shipped.email@notify.orderpulse>")

    _, reply = await aiosmtplib.send(message, hostname=sink.host, port=sink.smtp_port, timeout=10)
    _, repeated = await aiosmtplib.send(message, hostname=sink.host, port=sink.smtp_port, timeout=10)
    await aiosmtplib.send(order_email("<ord_7.delivered.email@notify.orderpulse>"),
                          hostname=sink.host, port=sink.smtp_port, timeout=10)

    assert "stored as 1.eml" in reply
    assert "already stored" in repeated  # still a 250: the sender must not retry
    stored = sorted(path.name for path in (tmp_path / "mail").iterdir())
    assert stored == ["1.eml", "2.eml"]
    raw = (tmp_path / "mail" / "1.eml").read_bytes()
    assert b"Message-ID: <ord_7.shipped.email@notify.orderpulse>" in raw
    assert b"List-Unsubscribe: <http://127.0.0.1:8003/unsubscribe/x>" in raw
    assert b"Subject: Your order ord_7 has shipped" in raw

    async with httpx.AsyncClient(base_url=sink.page) as client:
        page = (await client.get("/")).text
        assert "Your order ord_7 has shipped" in page and "ada@example.com" in page
        assert "1Z999" in (await client.get("/mail/1/text")).text


async def test_sms_with_a_valid_signature_is_kept_once_and_a_forged_one_is_401(sink: MailSink, tmp_path: Path):
    payload = {"to": "+4915112345678", "body": "Ihre Bestellung ord_7 kommt heute"}
    async with httpx.AsyncClient(base_url=sink.page) as client:
        body, headers = signed(payload, "msg_ord_7_ofd_sms")
        accepted = await client.post("/sms", content=body, headers=headers)
        replayed = await client.post("/sms", content=body, headers=headers)
        forged_body, forged_headers = signed(payload, "msg_forged", secret="whsec_" + base64.b64encode(b"x" * 32).decode())
        forged = await client.post("/sms", content=forged_body, headers=forged_headers)

    assert accepted.status_code == 200 and accepted.json() == {"stored": True, "number": 1, "webhook_id": "msg_ord_7_ofd_sms"}
    assert replayed.status_code == 200 and replayed.json()["stored"] is False
    assert forged.status_code == 401
    files = sorted((tmp_path / "sms").iterdir())
    assert [path.name for path in files] == ["1.json"]
    record = orjson.loads(files[0].read_bytes())
    assert record["payload"] == payload and record["kind"] == "sms" and record["webhook_id"] == "msg_ord_7_ofd_sms"
