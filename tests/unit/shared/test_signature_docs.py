"""docs/signatures.md is what carriers and payment providers copy: its snippet and test vector must
match the signatures the services check (`orderpulse.http.signatures`)."""

from __future__ import annotations

import re
from pathlib import Path

from orderpulse.http.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

DOC = Path(__file__).resolve().parents[3] / "docs" / "signatures.md"
SECRET, TIMESTAMP = "carrier-secret-example", 1765015200
BODY = (
    b'{"events":[{"event_id":"evt-1","tracking_number":"1Z999","status":"in_transit",'
    b'"occurred_at":"2026-12-06T10:00:00Z"}]}'
)


def snippet() -> dict:
    text = DOC.read_text(encoding="utf-8")
    first_python_block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(first_python_block, namespace)  # noqa: S102 - our own documentation
    return namespace


def test_the_documented_signing_snippet_signs_as_the_services_check():
    headers = snippet()["sign"](SECRET, BODY, TIMESTAMP)
    assert headers == {TIMESTAMP_HEADER: str(TIMESTAMP), SIGNATURE_HEADER: sign(SECRET, BODY, TIMESTAMP)}


def test_the_documented_test_vector_is_what_the_services_compute():
    text = DOC.read_text(encoding="utf-8")
    assert sign(SECRET, BODY, TIMESTAMP) in text
    assert BODY.decode() in text


def test_the_documented_verifier_accepts_a_fresh_signature_and_refuses_stale_or_altered_ones():
    verify = snippet()["verify"]
    headers = {TIMESTAMP_HEADER: str(TIMESTAMP), SIGNATURE_HEADER: sign(SECRET, BODY, TIMESTAMP)}
    assert verify(SECRET, BODY, headers, now=TIMESTAMP + 60)
    assert not verify(SECRET, BODY, headers, now=TIMESTAMP + 301)
    assert not verify(SECRET, BODY + b" ", headers, now=TIMESTAMP)
    assert not verify("another-secret", BODY, headers, now=TIMESTAMP)
