import os

import pytest
from orderpulse.testing.node_ids import give_each_test_its_own_node_id

pytest_plugins = ["orderpulse.testing.fixtures", "orderpulse.testing.browser"]


def pytest_configure(config: pytest.Config) -> None:
    """Parallel runs (`make test`: pytest-xdist) give each worker its own embedded PostgreSQL and
    broker, or its own containers. External servers would be shared by the workers, whose tests
    would then make, empty and read the same schemas, topics and groups at once: refused."""
    external = [name for name in ("ORDERPULSE_TEST_DATABASE_URL", "ORDERPULSE_TEST_KAFKA_BOOTSTRAP") if os.environ.get(name)]
    if external and hasattr(config, "workerinput"):
        raise pytest.UsageError(f"{' and '.join(external)} point the tests at shared servers: run them serially "
                                "(make test TEST_WORKERS=1)")


@pytest.hookimpl(trylast=True)  # after pytest-randomly's shuffle, which keeps its order within each group
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whole-stack tests first: each takes minutes, so in a parallel run they start at once and
    the many short tests fill the workers around them, instead of one of them starting last."""
    give_each_test_its_own_node_id(items)
    items.sort(key=lambda item: not item.nodeid.startswith("tests/e2e/"))
