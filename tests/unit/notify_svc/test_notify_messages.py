"""Templates for every milestone and locale; email headers; Standard Webhooks signatures."""

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from notify_svc.adapters.email import build_email, message_id
from notify_svc.adapters.rendering import MessageRenderer
from notify_svc.adapters.webhooks import signed_request, sms_body
from notify_svc.domain.milestones import MILESTONES
from notify_svc.domain.values import ShipmentFacts, notification_id
from notify_svc.service_layer.ports import OutgoingMessage
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
renderer = MessageRenderer()


def message(milestone: str, locale: str = "en", **details) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=notification_id("ord-42", milestone, "email", ""),
        channel="email",
        milestone=milestone,
        order_id="ord-42",
        customer_id="cus-7",
        to="ada@example.com",
        name="Ada <Lovelace>",
        locale=locale,
        tracking_url="https://shop.example/track/tok123",
        shipments=[ShipmentFacts("shp-1", "ord-42", "dhl", "TRK1", None, NOW), ShipmentFacts("shp-2", "ord-42", "ups", "TRK2")],
        details=details,
    )


@pytest.mark.parametrize("locale", ["en", "de"])
@pytest.mark.parametrize("milestone", MILESTONES)
def test_every_milestone_renders_in_every_locale_naming_the_order_and_linking_its_tracking_page(milestone, locale):
    rendered = renderer.render(message(milestone, locale, stage="opened", survey_url="https://s.example/x"))
    for part in (rendered.subject, rendered.text, rendered.html, rendered.sms):
        assert "ord-42" in part
    assert "https://shop.example/track/tok123" in rendered.text and 'href="https://shop.example/track/tok123"' in rendered.html


def test_a_digest_names_every_parcel():
    rendered = renderer.render(message("shipped"))
    assert "2 parcels" in rendered.text and "DHL TRK1" in rendered.text and "UPS TRK2" in rendered.text


def test_customer_data_is_escaped_in_html():
    rendered = renderer.render(message("order_held", to_fix=[{"field": "ship_to", "detail": "<script>x</script>"}]))
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html


def test_an_unknown_locale_falls_back_to_its_language_then_english():
    assert renderer.locale_for("de-AT") == "de" and renderer.locale_for("fr") == "en"
    assert "Ihre Bestellung" in renderer.render(message("delivered", "de-AT")).subject


def sent_email(milestone: str = "delivered", locale: str = "en", **overrides):
    """The bytes notify-svc hands to SMTP, parsed back as a mail client reads them."""
    mail = build_email(replace(message(milestone, locale), **overrides), renderer, sender="Shop <shop@example.com>",
                       unsubscribe_address="u@example.com", now_utc=NOW)
    return mail, message_from_bytes(mail.data, policy=policy.default)


def test_an_email_has_text_and_html_a_stable_message_id_and_list_unsubscribe():
    mail, email = sent_email()
    _, again = sent_email()
    assert email["Message-ID"] == again["Message-ID"] == message_id(message("delivered").notification_id)
    assert email["List-Unsubscribe"].startswith("<mailto:u@example.com")
    assert [part.get_content_type() for part in email.iter_parts()] == ["text/plain", "text/html"]
    assert email["Subject"] == "Your order ord-42 has been delivered" and email["To"].addresses[0].display_name == "Ada <Lovelace>"
    assert email["From"].addresses[0].addr_spec == "shop@example.com" and email["X-OrderPulse-Order-Id"] == "ord-42"
    assert (mail.sender, mail.recipient, mail.smtputf8) == ("shop@example.com", "ada@example.com", False)


def test_the_mime_boundary_is_fresh_per_mail_and_both_parts_read_back_whole():
    rendered = renderer.render(message("delivered"))
    (_, first), (_, second) = sent_email(), sent_email()
    assert first.get_boundary() != second.get_boundary()
    text, html = (part.get_content() for part in first.iter_parts())
    assert (text, html) == (rendered.text, rendered.html)


def test_every_line_of_an_email_ends_in_crlf_and_stays_within_smtp_limits():
    mail, _ = sent_email("shipped", "de")
    lines = mail.data.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line and b"\r" not in line and len(line) <= 998 for line in lines)


def test_a_german_subject_survives_the_trip_through_smtp_encoding():
    _, email = sent_email("order_confirmed", "de")
    assert email["Subject"] == "Ihre Bestellung ord-42 ist bestätigt"
    assert "Ihre Bestellung ord-42 ist bestätigt" in email.get_body(("plain",)).get_content()


def test_a_line_break_in_a_name_cannot_add_a_header():
    _, email = sent_email(name="Ada\r\nBcc: eve@example.com")
    assert email["Bcc"] is None and email["To"].addresses[0].addr_spec == "ada@example.com"


def test_a_non_ascii_name_is_encoded_and_a_non_ascii_address_asks_for_smtputf8():
    mail, email = sent_email(name="Zoë Müller")
    assert email["To"].addresses[0].display_name == "Zoë Müller" and mail.data.isascii() and not mail.smtputf8
    mail, _ = sent_email(to="zoë@example.com", name="Zoë")
    assert mail.smtputf8 and mail.recipient == "zoë@example.com" and "\r\nTo: =?utf-8?q?Zo=C3=AB?= <zoë@example.com>\r\n".encode() in mail.data


def test_an_sms_request_carries_a_standard_webhooks_signature_that_verifies():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = sms_body(message("out_for_delivery"), renderer)
    headers = signed_request(Webhook(secret), "ntf_1", body, datetime.now(UTC))
    payload = Webhook(secret).verify(body, headers)
    assert payload["order_id"] == "ord-42" and "ord-42" in payload["text"] and headers["webhook-id"] == "ntf_1"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def test_the_notification_id_is_derived_from_the_unique_key():
    assert notification_id("o", "shipped", "email", "s1") == notification_id("o", "shipped", "email", "s1")
    assert notification_id("o", "shipped", "email", "s1") != notification_id("o", "shipped", "sms", "s1")
