"""The sink's HTTP side: signed SMS and webhooks are kept once, forged ones are 401, the page shows everything."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from mailbox_messages import WEBHOOK_SECRET, email, signed_post, signed_raw
from orderpulse.stack import credentials
from orderpulse.stack.mailbox.listing import list_lines, mail_lines
from orderpulse.stack.mailbox.mail import Mailbox
from orderpulse.stack.mailbox.texts import TextMessages
from orderpulse.stack.mailbox.web import build_receiver_app


@pytest.fixture
def boxes(tmp_path: Path) -> tuple[Mailbox, TextMessages]:
    return Mailbox(tmp_path / "mail"), TextMessages(tmp_path / "sms")


@pytest.fixture
async def receiver(boxes):
    app = build_receiver_app(*boxes, WEBHOOK_SECRET)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sink") as client:
        yield client


async def test_a_signed_sms_is_stored_once_per_webhook_id(receiver, boxes):
    body, headers = signed_post({"to": "+4915112345678", "body": "Bestellung ord_1 ist unterwegs"}, "msg_1")

    first = await receiver.post("/sms", content=body, headers=headers)
    again = await receiver.post("/sms", content=body, headers=headers)

    assert first.status_code == 200 and first.json()["stored"] is True
    assert again.status_code == 200 and again.json()["stored"] is False
    assert [(text.kind, text.webhook_id, text.to) for text in boxes[1].messages()] == [("sms", "msg_1", "+4915112345678")]


async def test_a_webhook_goes_to_the_same_folder_marked_as_a_webhook(receiver, boxes):
    body, headers = signed_post({"type": "notification.sent", "data": {"order_id": "ord_1"}}, "msg_9")
    assert (await receiver.post("/webhooks", content=body, headers=headers)).status_code == 200
    assert boxes[1].get(1).kind == "webhook"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body, headers: (body + b" ", headers), id="body changed after signing"),
        pytest.param(lambda body, headers: (body, {**headers, "webhook-id": "msg_other"}), id="another webhook-id"),
        pytest.param(lambda body, headers: (body, {k: v for k, v in headers.items() if k != "webhook-signature"}),
                     id="no signature"),
    ],
)
async def test_a_bad_signature_is_401_and_stores_nothing(receiver, boxes, tamper):
    body, headers = tamper(*signed_post({"to": "+1", "body": "hi"}, "msg_1"))
    response = await receiver.post("/sms", content=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert boxes[1].messages() == []


async def test_another_secret_or_an_old_timestamp_is_refused(receiver, boxes):
    other = "whsec_" + base64.b64encode(b"somebody else's secret, 32 bytes").decode()
    body, headers = signed_post({"to": "+1", "body": "hi"}, "msg_1", secret=other)
    assert (await receiver.post("/sms", content=body, headers=headers)).status_code == 401
    body, headers = signed_post({"to": "+1", "body": "hi"}, "msg_2", at=datetime.now(UTC) - timedelta(minutes=10))
    assert (await receiver.post("/sms", content=body, headers=headers)).status_code == 401
    assert boxes[1].messages() == []


async def test_a_signed_body_that_is_not_json_is_a_400_naming_the_body(receiver, boxes):
    body, headers = signed_raw(b"not json", "msg_1")
    response = await receiver.post("/sms", content=body, headers=headers)
    assert response.status_code == 400 and response.json()["field"] == "body"
    assert boxes[1].messages() == []


async def test_the_page_lists_mail_and_sms_newest_first_with_links_to_each_part(receiver, boxes):
    mailbox, texts = boxes
    mailbox.store(email("<1@x>", subject="Order ord_1 confirmed"))
    mailbox.store(email("<2@x>", subject="Order ord_1 <shipped>"))
    texts.store("sms", "msg_1", {"to": "+4915112345678", "body": "Out for delivery"})

    page = await receiver.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.index("Order ord_1 &lt;shipped&gt;") < html.index("Order ord_1 confirmed")  # escaped, newest first
    assert 'href="/mail/2/text"' in html and 'href="/mail/2/html"' in html
    assert "+4915112345678" in html and "Out for delivery" in html
    assert "<script" not in html

    text = await receiver.get("/mail/2/text")
    assert text.status_code == 200 and "It is on its way." in text.text
    rich = await receiver.get("/mail/2/html")
    assert "<b>on its way</b>" in rich.text
    assert rich.headers["content-security-policy"].startswith("sandbox")
    assert (await receiver.get("/mail/2.eml")).text.startswith("From: OrderPulse")
    assert (await receiver.get("/sms/1")).json()["payload"]["body"] == "Out for delivery"
    assert (await receiver.get("/mail/3/text")).status_code == 404


async def test_an_empty_mailbox_page_says_so(receiver):
    page = await receiver.get("/")
    assert "No mail yet." in page.text and "No SMS or webhooks yet." in page.text


def test_the_command_line_listing_names_number_recipient_and_subject(boxes):
    mailbox, texts = boxes
    mailbox.store(email("<1@x>", subject="Order ord_1 confirmed"))
    mailbox.store(email("<2@x>", subject="Order ord_1 delivered"))
    texts.store("sms", "msg_1", {"to": "+4915112345678", "body": "Out for delivery"})

    lines = list(list_lines(mailbox, texts, limit=50))
    mail_rows = [line for line in lines if "ada@example.com" in line]
    assert [row.split()[0] for row in mail_rows] == ["1", "2"]  # the newest nearest the prompt
    assert mail_rows[1].endswith("Order ord_1 delivered")
    assert any("+4915112345678" in line and "Out for delivery" in line for line in lines)
    assert len([line for line in list_lines(mailbox, texts, limit=1) if "ada@example.com" in line]) == 1

    shown = "\n".join(mail_lines(mailbox, 2))
    assert "Subject: Order ord_1 delivered" in shown and "Message-ID: <2@x>" in shown
    assert "It is on its way." in shown


def test_the_stack_generates_token_secrets_and_a_standard_webhooks_secret_once(tmp_path: Path):
    path = tmp_path / "credentials.json"
    first = credentials.load_or_create(path)["signing_secrets"]
    again = credentials.load_or_create(path)["signing_secrets"]

    assert first == again
    assert {"tracking", "surveys", "notify-webhooks"} <= set(first)
    assert first["tracking"] != first["surveys"]
    secret = first["notify-webhooks"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
