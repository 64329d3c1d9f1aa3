"""What people type on the command line becomes the right numbers, and mistakes are named."""

from __future__ import annotations

import math

import pytest
from orderpulse.cli import build_parser, simulation_config
from orderpulse.simulator.config import SHARES, ErrorMix, SimulationConfig, format_span, parse_rate, parse_span


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("2h", 7200), ("1h30m", 5400), ("30d", 30 * 86400), ("2w", 14 * 86400),
     ("0", 0), ("250ms", 0.25), (" 10 m ", 600), ("1.5h", 5400)],
)
def test_spans_read_as_seconds(text, seconds):
    assert parse_span(text) == pytest.approx(seconds)


def test_forever_is_an_unbounded_span():
    assert math.isinf(parse_span("forever"))
    assert format_span(parse_span("forever")) == "forever"


@pytest.mark.parametrize("text", ["10", "ten minutes", "10x", "m10", "", "10m-5s"])
def test_a_span_without_a_unit_or_with_garbage_is_refused(text):
    with pytest.raises(ValueError):
        parse_span(text)


@pytest.mark.parametrize(("text", "per_s"), [("20/s", 20), ("300/m", 5), ("7200/h", 2), ("20", 20), ("0.5/s", 0.5),
                                              ("60 / min", 1)])
def test_rates_read_as_orders_per_second(text, per_s):
    assert parse_rate(text) == pytest.approx(per_s)


@pytest.mark.parametrize("text", ["fast", "20/d", "/s", "-1/s"])
def test_a_rate_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_spans_print_in_their_largest_whole_unit():
    assert [format_span(s) for s in (30 * 86400, 7200, 600, 90)] == ["30d", "2h", "10m", "90s"]


def test_the_default_mix_makes_each_mistake_a_few_percent_of_orders():
    mix = ErrorMix()
    rates = {name: getattr(mix, name) for name in ErrorMix.names() if name not in SHARES}
    assert all(0 < rate <= 0.1 for rate in rates.values()), rates


def test_a_mix_is_changed_by_name_with_fractions_or_percentages():
    mix = ErrorMix().with_text("price_mistake=0.2, damage-in-transit=5%,returns=0")
    assert (mix.price_mistake, mix.damage_in_transit, mix.returns) == (0.2, 0.05, 0.0)
    assert mix.short_pick == ErrorMix().short_pick


@pytest.mark.parametrize("text", ["typo=0.1", "price_mistake", "price_mistake=lots", "price_mistake=1.5"])
def test_a_mix_entry_that_cannot_be_meant_is_refused(text):
    with pytest.raises(ValueError):
        ErrorMix().with_text(text)


def test_scaling_a_mix_keeps_the_shares_such_as_overridden_document_errors_and_survey_answers():
    scaled = ErrorMix().scaled(2)
    assert scaled.price_mistake == pytest.approx(ErrorMix().price_mistake * 2)
    assert scaled.issue_ack_late == pytest.approx(ErrorMix().issue_ack_late * 2)
    assert scaled.document_override == ErrorMix().document_override
    assert scaled.survey_answered == ErrorMix().survey_answered


def test_a_backfill_has_fifty_orders_a_day_unless_told_otherwise():
    assert SimulationConfig(backfill_s=30 * 86400).planned_backfill_orders == 1500
    assert SimulationConfig(backfill_s=30 * 86400, backfill_orders=200).planned_backfill_orders == 200
    assert SimulationConfig().planned_backfill_orders == 0


def test_no_live_phase_with_a_zero_duration_or_rate():
    assert not SimulationConfig(duration_s=0).has_live_phase
    assert not SimulationConfig(rate_per_s=0).has_live_phase
    assert SimulationConfig().has_live_phase


def test_the_simulate_command_line_becomes_a_config():
    args = build_parser().parse_args(
        ["simulate", "--rate", "20/s", "--duration", "10m", "--seed", "11", "--backfill", "30d", "--orders", "50",
         "--stack", "/tmp/x/stack.json", "--mix", "price_mistake=0.1"]
    )
    config = simulation_config(args)
    assert (config.rate_per_s, config.duration_s, config.seed, config.backfill_s) == (20, 600, 11, 30 * 86400)
    assert config.live_orders == 50 and str(config.stack_path) == "/tmp/x/stack.json"
    assert config.mix.price_mistake == 0.1


def test_the_demo_replays_a_month_of_1500_orders_then_runs_until_stopped():
    config = simulation_config(build_parser().parse_args(["demo"]))
    assert config.backfill_s == 30 * 86400 and config.planned_backfill_orders == 1500
    assert math.isinf(config.duration_s)
