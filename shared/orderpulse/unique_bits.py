"""Random bits for ids that must be unique, not secret (event ids, fulfillment and shipment ids).

A generator of their own, seeded from the system at start and again in a forked child, instead of
a system call per id (`uuid4`, `os.urandom`). Not the `random` module's shared generator: anything
may seed that one (hypothesis does, for every example), and equal ids would be deduplicated away.
Never for secrets or tokens: use `secrets` there.
"""

from __future__ import annotations

import os
import random

_generator = random.Random()
os.register_at_fork(after_in_child=_generator.seed)

unique_bits = _generator.getrandbits  # unique_bits(128) -> an int of 128 random bits
