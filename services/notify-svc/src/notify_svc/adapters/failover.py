"""Trying a channel's providers in order: the first that takes the message wins."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from notify_svc import metrics
from notify_svc.service_layer.ports import SendFailed

P = TypeVar("P")


async def first_that_takes_it(
    channel: str, providers: Sequence[P], attempt: Callable[[P], Awaitable[str | None]], *, redact: str
) -> None:
    """`attempt(provider)` returns None when the provider took the message, else why not (or raises).

    Raises `SendFailed` naming every provider's failure, with `redact` (the address) removed.
    """
    errors = []
    for index, provider in enumerate(providers):
        role = "primary" if index == 0 else "fallback"
        started = time.perf_counter()
        try:
            refused = await attempt(provider)
        except Exception as error:  # a provider's failure of any kind is a failed attempt, not a crash
            refused = f"{type(error).__name__}: {error}"
        finally:
            metrics.provider_seconds.labels(channel, role).observe(time.perf_counter() - started)
        if refused is None:
            return
        errors.append(f"{role}: {refused}")
    raise SendFailed("; ".join(errors).replace(redact, "<recipient>") if redact else "; ".join(errors))
