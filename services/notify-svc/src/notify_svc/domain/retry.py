"""When a failed send is tried again: exponential backoff with jitter, capped."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` sends in all; the wait before attempt n+1 is drawn from
    [d/2, d] with d = min(cap, base * 2^(n-1)) ("equal jitter": never zero, never in lockstep)."""

    max_attempts: int = 5
    base_s: float = 5.0
    cap_s: float = 600.0

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def delay(self, attempts: int, rand: random.Random | None = None) -> timedelta:
        ceiling = min(self.cap_s, self.base_s * 2 ** max(0, attempts - 1))
        draw = (rand or random).uniform(ceiling / 2, ceiling)
        return timedelta(seconds=draw)
