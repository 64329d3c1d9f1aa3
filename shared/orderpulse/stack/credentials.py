"""API keys and signing secrets for the local stack: generated at first start, kept in the state folder."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import orjson

from orderpulse.stack.files import replace_file

BASE_ROLES = ("storefront", "warehouse", "payments", "support", "account_manager", "admin")
DEFAULT_CARRIERS = ("dhl", "ups", "fedex")
TOKEN_SECRETS = ("tracking", "surveys")  # signed customer links: order-svc's tracking page, feedback-svc's surveys
WEBHOOK_SECRET = "notify-webhooks"  # notify-svc signs SMS and webhooks with it (Standard Webhooks)


def standard_webhooks_secret() -> str:
    """`whsec_` and 32 random bytes in standard base64, as the Standard Webhooks scheme expects."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def load_or_create(path: Path, carriers: tuple[str, ...] = DEFAULT_CARRIERS) -> dict[str, dict[str, str]]:
    """`{"api_keys": {role: key}, "signing_secrets": {role or purpose: secret}}`; new roles get new keys."""
    existing: dict = orjson.loads(path.read_bytes()) if path.exists() else {}
    api_keys: dict[str, str] = dict(existing.get("api_keys", {}))
    signing: dict[str, str] = dict(existing.get("signing_secrets", {}))
    for role in (*BASE_ROLES, *(f"carrier:{code}" for code in carriers)):
        api_keys.setdefault(role, "op_" + secrets.token_urlsafe(24))
    for role in ("payments", *(f"carrier:{code}" for code in carriers)):
        signing.setdefault(role, "whsec_" + secrets.token_urlsafe(32))
    for purpose in TOKEN_SECRETS:
        signing.setdefault(purpose, secrets.token_urlsafe(32))
    signing.setdefault(WEBHOOK_SECRET, standard_webhooks_secret())
    credentials = {"api_keys": api_keys, "signing_secrets": signing}
    if credentials != existing:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, orjson.dumps(credentials, option=orjson.OPT_INDENT_2))
    return credentials
