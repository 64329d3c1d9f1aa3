"""The registry and the value types behave as the services expect."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest
from event_samples import SAMPLES
from orderpulse.events import (
    ALL_TOPICS,
    DEFAULT_PARTITIONS,
    EVENT_TYPES,
    FULFILLMENT,
    ORDERS,
    UnknownEventType,
    dlq_topic,
    event_type,
    topic_for,
    validate_data,
)
from pydantic import ValidationError

PLACED = "orderpulse.order.placed.v1"


def with_changes(type_str: str, **changes) -> dict:
    return {**SAMPLES[type_str], **changes}


def test_an_unknown_type_raises_a_key_error_naming_it():
    with pytest.raises(UnknownEventType) as raised:
        event_type("orderpulse.order.teleported.v1")
    assert isinstance(raised.value, KeyError)
    assert "teleported" in str(raised.value)


def test_an_unknown_version_is_an_unknown_type():
    with pytest.raises(UnknownEventType):
        validate_data("orderpulse.order.placed.v2", SAMPLES[PLACED])


def test_the_short_type_finds_the_same_entry_as_the_full_type():
    assert event_type("order.placed.v1") is event_type(PLACED)
    assert event_type(PLACED).short_type == "order.placed.v1"


@pytest.mark.parametrize("type_str", sorted(SAMPLES))
def test_validating_by_either_name_gives_what_the_model_gives(type_str):
    expected = event_type(type_str).model.model_validate(SAMPLES[type_str])
    assert validate_data(type_str, SAMPLES[type_str]) == expected
    assert validate_data(event_type(type_str).short_type, SAMPLES[type_str]) == expected
    assert validate_data(type_str, {**SAMPLES[type_str], "added_later": 1}, tolerate_new_fields=True) == expected
    with pytest.raises(ValidationError):
        validate_data(type_str, {**SAMPLES[type_str], "added_later": 1})


def test_an_unknown_short_type_is_an_unknown_type():
    with pytest.raises(UnknownEventType):
        validate_data("order.teleported.v1", {})


def test_topics_come_from_the_catalog():
    assert topic_for(PLACED) == ORDERS
    assert topic_for("orderpulse.labor.shift_recorded.v1") == FULFILLMENT
    assert {entry.topic for entry in EVENT_TYPES.values()} == set(ALL_TOPICS)


def test_the_key_of_an_event_is_its_key_field_value():
    assert event_type(PLACED).key_of(SAMPLES[PLACED]) == SAMPLES[PLACED]["order_id"]
    shift = "orderpulse.labor.shift_recorded.v1"
    assert event_type(shift).key_of(validate_data(shift, SAMPLES[shift])) == "wh_berlin"


def test_dlq_topics_are_named_per_service():
    assert dlq_topic("kpi-svc") == "orderpulse.dlq.kpi-svc"
    with pytest.raises(ValueError):
        dlq_topic("")
    assert DEFAULT_PARTITIONS == 12


def test_catalog_entries_and_event_data_are_immutable():
    entry = event_type(PLACED)
    with pytest.raises(FrozenInstanceError):
        entry.topic = "elsewhere"
    placed = validate_data(PLACED, SAMPLES[PLACED])
    with pytest.raises(ValidationError):
        placed.total = "0"


@pytest.mark.parametrize("amount", ["12,50", "12.", ".5", "1e3", "", "EUR 12.50", 12.5])
def test_money_must_be_a_decimal_string(amount):
    with pytest.raises(ValidationError):
        validate_data(PLACED, with_changes(PLACED, total=amount))


@pytest.mark.parametrize("amount", ["0", "12.50", "-3.10", "1000000.0001"])
def test_money_accepts_decimal_strings(amount):
    assert validate_data(PLACED, with_changes(PLACED, total=amount)).total == amount


def test_times_without_a_timezone_are_refused():
    with pytest.raises(ValidationError):
        validate_data(PLACED, with_changes(PLACED, promised_by="2026-11-22T18:00:00"))


def test_values_outside_a_listed_enum_are_refused():
    with pytest.raises(ValidationError):
        validate_data(PLACED, with_changes(PLACED, channel="carrier_pigeon"))


def test_an_order_is_placed_with_at_least_one_line():
    with pytest.raises(ValidationError):
        validate_data(PLACED, with_changes(PLACED, lines=[]))


def test_optional_fields_default_to_none():
    sent = "orderpulse.notification.sent.v1"
    data = {k: v for k, v in SAMPLES[sent].items() if k != "unit_cost"}
    assert validate_data(sent, data).unit_cost is None


def test_ratings_stay_on_their_scales():
    received = "orderpulse.feedback.received.v1"
    for bad in ({"csat": 6}, {"csat": 0}, {"nps": 11}, {"aspects": {"accuracy": 0}}):
        with pytest.raises(ValidationError):
            validate_data(received, with_changes(received, **bad))


def test_a_shift_must_end_after_it_starts():
    shift = "orderpulse.labor.shift_recorded.v1"
    with pytest.raises(ValidationError):
        validate_data(shift, with_changes(shift, end=SAMPLES[shift]["start"]))


def test_fulfilment_completed_without_any_delivery_has_a_null_delivered_at():
    completed = "orderpulse.fulfillment.completed.v1"
    data = with_changes(completed, delivered_at=None, lines_delivered=[], closed_short=True)
    assert validate_data(completed, data).delivered_at is None
