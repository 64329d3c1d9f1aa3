"""The suite's hypothesis profile (tests/conftest.py): no example fails for being slow."""

from hypothesis import HealthCheck, settings


def test_properties_have_no_time_limit_per_example():
    assert settings.default.deadline is None


def test_slow_data_generation_is_not_a_failure_but_other_health_checks_stay():
    assert HealthCheck.too_slow in settings.default.suppress_health_check
    assert HealthCheck.filter_too_much not in settings.default.suppress_health_check
