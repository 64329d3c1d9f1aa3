"""pytest plugin: a headless Chromium (Debian's `chromium` package) driven by Playwright for Python.

Playwright cannot download its own browsers on these machines, so it launches the system
Chromium that `make install` installs. The flags keep Chromium off the network it cannot reach
(background services, component updates) and work as root.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

CHROMIUM = os.environ.get("ORDERPULSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


@pytest.fixture
def browser() -> Iterator:
    """A Playwright (sync API) `Browser`; use `browser.new_page()` and close the page after.

    One per test, not per session: while Playwright's sync API is open it leaves its event loop
    marked as running in the main thread, so every asyncio test (and `asyncio.run`) after it in
    the same session would fail. Inside a browser test, run async set-up in another thread.
    """
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run `make install` (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS))
        try:
            yield launched
        finally:
            launched.close()


def run_beside_browser(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to the end on its own event loop in another thread: the way to do async
    set-up (HTTP calls, Kafka) inside a test that holds the `browser`."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coroutine).result()
