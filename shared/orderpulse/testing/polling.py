"""Waiting in tests: poll a condition until it holds or a deadline passes, never a bare sleep."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def eventually(
    check: Callable[[], Awaitable[Any]] | Callable[[], Any], *, timeout_s: float = 30.0, interval_s: float = 0.05
) -> Any:
    """Poll `check` (async, or a plain function) until it returns something truthy (and return
    it), or fail at the deadline with its last result."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout_s} s; last result: {result!r}")
        await asyncio.sleep(interval_s)


def eventually_sync(check: Callable[[], Any], *, timeout_s: float = 30.0, interval_s: float = 0.2, what: str = "condition") -> Any:
    """The same for sync tests (a browser test drives Playwright's sync API)."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout_s} s; last result: {result!r}")
        time.sleep(interval_s)
