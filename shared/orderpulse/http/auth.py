"""API-key authentication with roles: `Authorization: Bearer <key>` → a principal with one role."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from orderpulse.http.problems import Problem

ROLES = ("storefront", "warehouse", "payments", "support", "account_manager", "admin")
CARRIER_PREFIX = "carrier:"


@dataclass(frozen=True)
class Principal:
    role: str

    @property
    def carrier(self) -> str | None:
        return self.role[len(CARRIER_PREFIX):] if self.role.startswith(CARRIER_PREFIX) else None


class ApiKeyRegistry:
    """Finds the principal of a key; compares against every key in constant time."""

    def __init__(self, keys_by_role: Mapping[str, SecretStr]) -> None:
        self._keys = [(role, key.get_secret_value().encode()) for role, key in keys_by_role.items()]

    def principal_for(self, presented: str) -> Principal | None:
        presented_bytes = presented.encode()
        found: Principal | None = None
        for role, key in self._keys:
            if hmac.compare_digest(key, presented_bytes):
                found = Principal(role)
        return found


_bearer = HTTPBearer(auto_error=False, description="an OrderPulse API key")


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", "Authentication required", detail, headers={"WWW-Authenticate": "Bearer"})


async def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise _unauthorized("Send `Authorization: Bearer <api key>`.")
    registry: ApiKeyRegistry = request.app.state.api_keys
    principal = registry.principal_for(credentials.credentials)
    if principal is None:
        raise _unauthorized("The API key is not known.")
    return principal


def role_allowed(principal: Principal, roles: tuple[str, ...]) -> bool:
    """Whether the principal's role is one of `roles` (`carrier:*` matches any carrier)."""
    return principal.role in roles or ("carrier:*" in roles and principal.carrier is not None)


def require_roles(*roles: str) -> Callable[..., Principal]:
    """Dependency: the caller's principal, if its role is one of `roles` (`carrier:*` matches any carrier)."""

    async def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not role_allowed(principal, roles):
            raise Problem(
                403, "forbidden", "Role not allowed", f"Role {principal.role!r} may not call this route; allowed: {', '.join(roles)}."
            )
        return principal

    dependency.__name__ = f"require_{'_or_'.join(r.replace(':', '_').replace('*', 'any') for r in roles)}"
    return dependency
