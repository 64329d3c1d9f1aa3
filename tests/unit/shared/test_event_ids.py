"""`new_event_id` gives the text `str(uuid.UUID(int=bits, version=4))` gives for the same bits."""

from __future__ import annotations

import random
import uuid

import pytest
from orderpulse.events import envelope

EDGES = [0, (1 << 128) - 1, 0xF << 76, 0b11 << 62, 1, 1 << 127, int("0123456789abcdef" * 2, 16)]


def _drawn(count: int) -> list[int]:
    draw = random.Random(14).getrandbits  # the same bits in every pytest worker (xdist compares the ids)
    return [draw(128) for _ in range(count)]


@pytest.mark.parametrize("bits", EDGES + _drawn(200))
def test_an_event_id_is_the_version_4_uuid_of_its_bits(monkeypatch, bits):
    monkeypatch.setattr(envelope, "unique_bits", lambda _: bits)
    made = envelope.new_event_id()
    assert made == str(uuid.UUID(int=bits, version=4))
    assert uuid.UUID(made).version == 4
