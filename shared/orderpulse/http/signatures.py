"""HMAC signatures on callbacks (carriers, payments).

The caller sends `X-Signature-Timestamp: <unix seconds>` and
`X-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with its secret>`. The
timestamp is part of the signed text so a captured callback cannot be replayed after the
maximum age (5 minutes by default).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from fastapi import Request

from orderpulse.http.problems import Problem

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Signature-Timestamp"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers a client sends with `body` (used by the simulator and the tests)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return {SIGNATURE_HEADER: sign(secret, body, moment), TIMESTAMP_HEADER: str(moment)}


def _refuse(role: str, reason: str) -> Problem:
    log.warning("callback signature refused", extra={"role": role, "reason": reason})  # never the body
    return Problem(401, "bad-signature", "Signature verification failed", reason)


async def verify_signature(request: Request, role: str, *, max_age_s: int) -> bytes:
    """The raw body, once its signature by `role`'s secret checks out; 401 otherwise."""
    secrets = request.app.state.signing_secrets
    secret = secrets.get(role)
    if secret is None:
        raise _refuse(role, f"No signing secret is configured for {role!r}.")
    signature = request.headers.get(SIGNATURE_HEADER)
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise _refuse(role, f"Send {SIGNATURE_HEADER} and {TIMESTAMP_HEADER}.")
    try:
        moment = int(timestamp)
    except ValueError:
        raise _refuse(role, f"{TIMESTAMP_HEADER} must be unix seconds.") from None
    if abs(time.time() - moment) > max_age_s:
        raise _refuse(role, f"The signature is older than {max_age_s} s (or from the future); sign again.")
    body = await request.body()
    expected = sign(secret.get_secret_value(), body, moment)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise _refuse(role, "The signature does not match the body.")
    return body
