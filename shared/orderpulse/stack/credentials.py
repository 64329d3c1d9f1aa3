"""API keys and signing secrets for the local stack: generated at first start, kept in the state folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import orjson

BASE_ROLES = ("storefront", "warehouse", "payments", "support", "account_manager", "admin")
DEFAULT_CARRIERS = ("dhl", "ups", "fedex")


def load_or_create(path: Path, carriers: tuple[str, ...] = DEFAULT_CARRIERS) -> dict[str, dict[str, str]]:
    """`{"api_keys": {role: key}, "signing_secrets": {role: secret}}`; new roles get new keys."""
    existing: dict = orjson.loads(path.read_bytes()) if path.exists() else {}
    api_keys: dict[str, str] = dict(existing.get("api_keys", {}))
    signing: dict[str, str] = dict(existing.get("signing_secrets", {}))
    for role in (*BASE_ROLES, *(f"carrier:{code}" for code in carriers)):
        api_keys.setdefault(role, "op_" + secrets.token_urlsafe(24))
    for role in ("payments", *(f"carrier:{code}" for code in carriers)):
        signing.setdefault(role, "whsec_" + secrets.token_urlsafe(32))
    credentials = {"api_keys": api_keys, "signing_secrets": signing}
    if credentials != existing:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(credentials, option=orjson.OPT_INDENT_2))
        os.chmod(path, 0o600)
    return credentials
