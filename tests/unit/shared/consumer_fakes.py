"""Fakes of the consumer's ports shared by its unit tests (not a test module)."""

from __future__ import annotations


class FakeSession:
    """A session factory's session and its transaction in one: nothing runs, everything commits."""

    async def __aenter__(self) -> FakeSession:
        return self

    async def __aexit__(self, *_exc) -> None:
        return None

    def begin(self) -> FakeSession:
        return self
