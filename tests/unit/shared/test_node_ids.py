"""Tests that share a node id (schemathesis's per-operation tests) get one each, so pytest-xdist,
which schedules by node id, runs every one of them instead of one per shared id."""

import pytest
from _pytest.nodeid import NodeId
from orderpulse.testing.node_ids import give_each_test_its_own_node_id


class _Item:
    def __init__(self, node_id: str, name: str) -> None:
        self._id = NodeId.parse(node_id)
        self.name = name

    @property
    def nodeid(self) -> str:
        return str(self._id)


def test_tests_sharing_a_node_id_get_their_names_in_it_and_the_others_keep_theirs():
    fuzz = "tests/access/test_api_fuzz.py::test_x"
    items = [_Item(fuzz, "test_x[GET /healthz]"), _Item(fuzz, "test_x[POST /v1/orders]"),
             _Item("tests/unit/test_a.py::test_a[1]", "test_a[1]")]

    give_each_test_its_own_node_id(items)

    assert [item.nodeid for item in items] == [
        "tests/access/test_api_fuzz.py::test_x[GET /healthz]",
        "tests/access/test_api_fuzz.py::test_x[POST /v1/orders]",
        "tests/unit/test_a.py::test_a[1]",
    ]


def test_a_node_id_still_shared_stops_the_run_instead_of_losing_a_test():
    items = [_Item("tests/test_b.py::test_b", "test_b"), _Item("tests/test_b.py::test_b", "test_b")]

    with pytest.raises(pytest.UsageError, match="share a node id"):
        give_each_test_its_own_node_id(items)
