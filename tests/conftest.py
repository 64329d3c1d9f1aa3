import pytest

pytest_plugins = ["orderpulse.testing.fixtures", "orderpulse.testing.browser"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test TEST_WORKERS=3` runs `-n 3 --dist loadgroup`), the integration tests stay
    together on one worker, in the order a serial run has: they share that worker's PostgreSQL
    and broker, and a test's leftovers on the shared topics must meet the same neighbours as
    serially. So do the end-to-end tests that use the session's `infrastructure` (an external
    server would otherwise be shared by two workers). Every other end-to-end test starts its own
    stack and goes wherever a worker is free, beside the unit, contract and deployment tests."""
    for item in items:
        if item.nodeid.startswith("tests/integration/") or "infrastructure" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("integration"))
