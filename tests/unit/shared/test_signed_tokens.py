from datetime import UTC, datetime, timedelta

import pytest
from orderpulse.signed_tokens import ExpiredToken, ForgedToken, TokenSigner

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SECRET = "s3cret-for-tests-only-0123456789"


def test_a_signed_token_verifies_to_its_subject_until_it_expires():
    signer = TokenSigner(SECRET, purpose="survey")
    token = signer.sign("srv_1", expires_at=NOW + timedelta(days=14))
    assert signer.verify(token, now=NOW) == "srv_1"
    assert signer.verify(token, now=NOW + timedelta(days=13, hours=23)) == "srv_1"
    with pytest.raises(ExpiredToken) as expired:
        signer.verify(token, now=NOW + timedelta(days=14))
    assert expired.value.subject == "srv_1"


def test_a_token_for_another_purpose_or_secret_is_forged():
    survey = TokenSigner(SECRET, purpose="survey")
    token = survey.sign("ord_1", expires_at=NOW + timedelta(days=1))
    with pytest.raises(ForgedToken):
        TokenSigner(SECRET, purpose="tracking").verify(token, now=NOW)
    with pytest.raises(ForgedToken):
        TokenSigner(SECRET + "x", purpose="survey").verify(token, now=NOW)


@pytest.mark.parametrize("token", ["", "abc", "abc.", ".abc", "a.b.c", "%%%.###", "x" * 3000, "é.ü", "abc.é", "\x00.\x00"])
def test_malformed_tokens_are_forged_not_errors(token):
    with pytest.raises(ForgedToken):
        TokenSigner(SECRET, purpose="survey").verify(token, now=NOW)


def test_changing_one_character_of_the_payload_is_detected():
    signer = TokenSigner(SECRET, purpose="tracking")
    token = signer.sign("ord_1", expires_at=NOW + timedelta(days=1))
    payload, signature = token.split(".")
    tampered = ("A" if payload[0] != "A" else "B") + payload[1:] + "." + signature
    with pytest.raises(ForgedToken):
        signer.verify(tampered, now=NOW)


def test_short_secrets_are_refused():
    with pytest.raises(ValueError):
        TokenSigner("short", purpose="survey")
