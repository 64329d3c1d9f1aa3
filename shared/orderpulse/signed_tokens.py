"""Signed, expiring tokens for links customers open without an account (survey, tracking pages).

A token is `<payload>.<signature>`, both base64url without padding. The payload is a compact
JSON `[purpose, subject, expires_at_unix_s]`; the signature is HMAC-SHA256 over the payload
text with the service's secret. The purpose is signed too, so a tracking token never opens a
survey. Standard library only, so domain code may use it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import UTC, datetime


class ForgedToken(ValueError):
    """The token is malformed, its signature is wrong, or it was made for another purpose."""


class ExpiredToken(ValueError):
    """The signature is good but the token is past its expiry; `subject` says whose it was."""

    def __init__(self, subject: str, expired_at: datetime) -> None:
        super().__init__(f"the link expired at {expired_at.isoformat()}")
        self.subject = subject
        self.expired_at = expired_at


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Signs and verifies tokens for one purpose (`"survey"`, `"tracking"`)."""

    def __init__(self, secret: str | bytes, *, purpose: str) -> None:
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        if len(key) < 16:
            raise ValueError("a token secret needs at least 16 bytes")
        if not purpose:
            raise ValueError("a token needs a purpose")
        self._key = key
        self.purpose = purpose

    def sign(self, subject: str, *, expires_at: datetime) -> str:
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        payload = json.dumps([self.purpose, subject, int(expires_at.timestamp())], separators=(",", ":"))
        encoded = _b64encode(payload.encode())
        return f"{encoded}.{self._signature(encoded)}"

    def verify(self, token: str, *, now: datetime) -> str:
        """The token's subject; raises `ForgedToken` or `ExpiredToken`."""
        encoded, dot, signature = token.partition(".")
        if not dot or not encoded or not signature or len(token) > 2048 or not token.isascii():
            raise ForgedToken("the link is not a valid token")
        if not hmac.compare_digest(signature, self._signature(encoded)):
            raise ForgedToken("the link's signature does not match")
        try:
            purpose, subject, expires_s = json.loads(_b64decode(encoded))
        except (ValueError, TypeError, binascii.Error) as error:
            raise ForgedToken("the link's content is unreadable") from error
        if purpose != self.purpose or not isinstance(subject, str) or not isinstance(expires_s, int):
            raise ForgedToken("the link was not made for this page")
        expires_at = datetime.fromtimestamp(expires_s, UTC)
        if now >= expires_at:
            raise ExpiredToken(subject, expires_at)
        return subject

    def _signature(self, encoded: str) -> str:
        return _b64encode(hmac.new(self._key, encoded.encode("ascii"), hashlib.sha256).digest())
