import os

import pytest
from hypothesis import HealthCheck, settings
from orderpulse.testing.node_ids import give_each_test_its_own_node_id

pytest_plugins = ["orderpulse.testing.fixtures", "orderpulse.testing.browser"]

# No timed assertions (quality.md), hypothesis's included: its default fails an example slower
# than 200 ms and a generation it finds too slow, which a loaded CI machine (or xdist's workers on
# two cores) can cause in a correct test. Properties keep every other health check.
settings.register_profile("orderpulse", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("orderpulse")


def pytest_configure(config: pytest.Config) -> None:
    """Parallel runs (`make test`: pytest-xdist) give each worker its own embedded PostgreSQL and
    broker, or its own containers. External servers would be shared by the workers, whose tests
    would then make, empty and read the same schemas, topics and groups at once: refused."""
    external = [name for name in ("ORDERPULSE_TEST_DATABASE_URL", "ORDERPULSE_TEST_KAFKA_BOOTSTRAP") if os.environ.get(name)]
    if external and hasattr(config, "workerinput"):
        raise pytest.UsageError(f"{' and '.join(external)} point the tests at shared servers: run them serially "
                                "(make test TEST_WORKERS=1)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    give_each_test_its_own_node_id(items)
