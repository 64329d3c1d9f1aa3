"""Ids that must be unique: their own generator, not the `random` module's, reseeded in a fork."""

from __future__ import annotations

import os
import random

from orderpulse.events.envelope import new_event_id
from orderpulse.unique_bits import unique_bits


def test_seeding_the_random_module_does_not_repeat_ids():
    random.seed(7)
    first = new_event_id()
    random.seed(7)
    assert new_event_id() != first


def test_a_forked_child_draws_other_bits_than_its_parent():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next draw, to the parent
        os.write(write, unique_bits(128).to_bytes(16, "big"))
        os._exit(0)
    os.close(write)
    parents = unique_bits(128)
    childs = int.from_bytes(os.read(read, 16), "big")
    os.waitpid(pid, 0)
    os.close(read)
    assert childs != parents
