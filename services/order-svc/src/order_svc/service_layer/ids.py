"""Order ids: `ord_` + a ULID (time-ordered, 26 Crockford base-32 characters), so ids sort by creation."""

from __future__ import annotations

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(now_ms: int | None = None, randomness: bytes | None = None) -> str:
    """48 bits of milliseconds since the epoch, then 80 random bits."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    entropy = os.urandom(10) if randomness is None else randomness
    value = (millis << 80) | int.from_bytes(entropy, "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_order_id() -> str:
    return f"ord_{ulid()}"
