"""Every collected test with a node id of its own, so pytest-xdist runs each one.

pytest-xdist schedules tests by node id. schemathesis names every operation's test
`test_x[GET /path]` but gives them all the node id `...::test_x`, so a parallel run ran one
operation per test function and dropped the others without a word (41 of the 56 API fuzz tests).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest


def give_each_test_its_own_node_id(items: Sequence[pytest.Item]) -> None:
    """A test sharing its node id gets its name in it instead; a node id still shared after that
    stops the run (UsageError) rather than losing tests."""
    shared = _shared(items)
    for item in items:
        if item.nodeid in shared:
            _set_node_id(item, f"{item.nodeid.rpartition('::')[0]}::{item.name}")
    still_shared = _shared(items)
    if still_shared:
        raise pytest.UsageError(f"tests share a node id, so a parallel run would drop all but one: {sorted(still_shared)[:5]}")


def _shared(items: Sequence[pytest.Item]) -> set[str]:
    return {node_id for node_id, n in Counter(item.nodeid for item in items).items() if n > 1}


def _set_node_id(item: pytest.Item, node_id: str) -> None:
    if hasattr(item, "_id"):  # pytest 9 keeps a structured id, with no public setter
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(node_id)  # noqa: SLF001
    else:
        item._nodeid = node_id  # noqa: SLF001
