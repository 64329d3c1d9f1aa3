"""kpi-svc's settings: the quiet time reaches the rules, and a quiet time not above the
checkpoint interval is refused (an order would be compressed before its checkpoint row)."""

import pytest
from kpi_svc.settings import KpiSettings
from pydantic import ValidationError


def test_the_quiet_time_sets_both_quiet_rules():
    rules = KpiSettings(cold_after_s=30).rules
    assert rules.cold_after_s == 30 and rules.in_flight_cold_after_s == 30


def test_a_quiet_time_not_above_the_checkpoint_interval_is_refused():
    with pytest.raises(ValidationError, match="cold_after_s"):
        KpiSettings(cold_after_s=2, checkpoint_interval_s=2.0)
