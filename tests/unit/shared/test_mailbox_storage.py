"""The sink's folders: one file per message, numbers that only grow, a Message-ID or webhook-id kept once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from mailbox_messages import email
from orderpulse.stack.mailbox.mail import Mailbox, message_id_of
from orderpulse.stack.mailbox.texts import TextMessages


def test_each_message_is_stored_as_received_under_the_next_number(tmp_path: Path):
    mailbox = Mailbox(tmp_path / "mail")
    first, second = email("<a@x>"), email("<b@x>", subject="Delivered")

    assert mailbox.store(first) == 1
    assert mailbox.store(second) == 2
    assert (tmp_path / "mail" / "1.eml").read_bytes() == first
    assert (tmp_path / "mail" / "2.eml").read_bytes() == second
    assert sorted(path.name for path in (tmp_path / "mail").iterdir()) == ["1.eml", "2.eml"]


def test_a_second_message_with_the_same_message_id_is_not_stored(tmp_path: Path):
    mailbox = Mailbox(tmp_path / "mail")
    assert mailbox.store(email("<same@x>")) == 1
    assert mailbox.store(email("<same@x>", subject="a resend")) is None
    assert mailbox.store(email(" <same@x> ")) is None  # folding whitespace is not a new id
    assert [mail.number for mail in mailbox.messages()] == [1]


def test_messages_without_a_message_id_are_all_kept(tmp_path: Path):
    mailbox = Mailbox(tmp_path / "mail")
    assert message_id_of(email(None)) is None
    assert mailbox.store(email(None)) == 1
    assert mailbox.store(email(None)) == 2


def test_a_restarted_sink_remembers_what_it_stored_and_counts_on(tmp_path: Path):
    Mailbox(tmp_path / "mail").store(email("<old@x>"))
    Mailbox(tmp_path / "mail").store(email("<older@x>"))

    restarted = Mailbox(tmp_path / "mail")
    assert restarted.store(email("<old@x>")) is None
    assert restarted.store(email("<new@x>")) == 3


def test_numbers_never_reuse_a_deleted_newest_file_while_running(tmp_path: Path):
    mailbox = Mailbox(tmp_path / "mail")
    mailbox.store(email("<1@x>"))
    mailbox.store(email("<2@x>"))
    (tmp_path / "mail" / "2.eml").unlink()
    assert mailbox.store(email("<3@x>")) == 3


def test_the_list_is_newest_first_with_decoded_headers(tmp_path: Path):
    mailbox = Mailbox(tmp_path / "mail")
    mailbox.store(email("<1@x>", subject="Bestätigt: Bestellung ord_1", to="bea@example.de"))
    mailbox.store(email("<2@x>", subject="Shipped"))

    listed = mailbox.messages()
    assert [mail.number for mail in listed] == [2, 1]
    oldest = listed[1]
    assert oldest.subject == "Bestätigt: Bestellung ord_1"
    assert oldest.to == "bea@example.de"
    assert oldest.message_id == "<1@x>"
    assert oldest.received_at.tzinfo is not None


def test_text_and_html_parts_are_readable_and_a_missing_one_is_none(tmp_path: Path):
    mailbox = Mailbox(tmp_path / "mail")
    both = mailbox.store(email("<1@x>", text="Plain words.", html="<p>Rich words.</p>"))
    plain = mailbox.store(email("<2@x>", text="Only plain.", html=None))

    assert mailbox.parts(both).text.strip() == "Plain words."
    assert mailbox.parts(both).html.strip() == "<p>Rich words.</p>"
    assert mailbox.parts(plain).html is None
    with pytest.raises(KeyError):
        mailbox.parts(99)


def test_no_half_written_file_is_left_behind(tmp_path: Path):
    mailbox = Mailbox(tmp_path / "mail")
    for index in range(5):
        mailbox.store(email(f"<{index}@x>"))
    assert not [path for path in (tmp_path / "mail").iterdir() if path.name.startswith(".")]


def test_sms_are_stored_as_json_once_per_webhook_id(tmp_path: Path):
    texts = TextMessages(tmp_path / "sms")
    at = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    payload = {"to": "+44 20 7946 0000", "body": "Order ord_1 is out for delivery"}

    assert texts.store("sms", "msg_1", payload, received_at=at) == 1
    assert texts.store("sms", "msg_1", {"to": "+1", "body": "changed"}) is None
    assert texts.store("webhook", "msg_2", {"type": "order.shipped", "data": {"order_id": "ord_1"}}) == 2

    stored = texts.get(1)
    assert (stored.kind, stored.webhook_id, stored.payload, stored.received_at) == ("sms", "msg_1", payload, at)
    assert (stored.to, stored.text) == ("+44 20 7946 0000", "Order ord_1 is out for delivery")
    assert [text.number for text in texts.messages()] == [2, 1]
    assert sorted(path.name for path in (tmp_path / "sms").iterdir()) == ["1.json", "2.json"]


def test_a_restarted_receiver_still_refuses_a_stored_webhook_id(tmp_path: Path):
    TextMessages(tmp_path / "sms").store("sms", "msg_1", {"to": "+1", "body": "hi"})
    restarted = TextMessages(tmp_path / "sms")
    assert restarted.store("sms", "msg_1", {"to": "+1", "body": "hi"}) is None
    assert restarted.store("sms", "msg_2", {"to": "+1", "body": "hi again"}) == 2


def test_a_limited_list_is_the_newest_messages_and_the_count_is_all_of_them(tmp_path: Path):
    mailbox, texts = Mailbox(tmp_path / "mail"), TextMessages(tmp_path / "sms")
    for index in range(5):
        mailbox.store(email(f"<{index}@x>"))
        texts.store("sms", f"msg_{index}", {"to": "+1", "body": str(index)})

    assert [mail.number for mail in mailbox.messages(limit=2)] == [5, 4] and mailbox.count() == 5
    assert [text.number for text in texts.messages(limit=3)] == [5, 4, 3] and texts.count() == 5


def test_the_list_names_whom_an_sms_or_webhook_was_for_and_what_it_said(tmp_path: Path):
    texts = TextMessages(tmp_path / "sms")
    texts.store("sms", "ntf_1", {"notification_id": "ntf_1", "to": "+4915112345678", "text": "Paket unterwegs",
                                 "order_id": "ord_1", "milestone": "shipped"})
    texts.store("webhook", "ntf_2", {"type": "orderpulse.notification.delivered", "customer_id": "cus_1",
                                     "order_id": "ord_1"})
    webhook, sms = texts.messages()
    assert (sms.to, sms.text) == ("+4915112345678", "Paket unterwegs")
    assert (webhook.to, webhook.text) == ("cus_1", "orderpulse.notification.delivered")
