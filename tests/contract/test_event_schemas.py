"""The event models match events.md, and the committed JSON Schemas match the models."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache

import pytest
from event_samples import SAMPLES
from events_md import load_spec, parse_catalog, parse_fields, parse_topics
from jsonschema import Draft202012Validator, FormatChecker
from orderpulse.events import EVENT_TYPES, new_envelope, topics, validate_data
from orderpulse.events.schemas import GENERATE_COMMAND, SCHEMA_DIR, differences, generate_schemas
from pydantic import ValidationError

TYPES = sorted(EVENT_TYPES)
REQUIRED_FIELDS = [
    (type_str, name)
    for type_str in TYPES
    for name, field in EVENT_TYPES[type_str].model.model_fields.items()
    if field.is_required()
]


@cache
def spec_catalog():
    return parse_catalog(load_spec())


def _rfc3339(value: object) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


FORMATS = FormatChecker()
FORMATS.checks("date-time")(_rfc3339)


@cache
def committed_validator(type_str: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / f"{type_str}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMATS)


def envelope_for(type_str: str, data: dict) -> dict:
    key = data[EVENT_TYPES[type_str].key_field]
    envelope = new_envelope(type=type_str, source="/contract-test", key=key, data=data)
    return json.loads(envelope.to_json())


# --- committed snapshots --------------------------------------------------------------


def test_committed_schemas_equal_the_generated_ones():
    problems = differences()
    assert not problems, (
        "shared/schemas/ is out of date with the event models:\n  "
        + "\n  ".join(problems)
        + f"\nRegenerate with: {GENERATE_COMMAND}"
    )


def test_there_is_one_schema_per_event_type_named_after_the_full_type():
    assert set(generate_schemas()) == {f"{t}.json" for t in EVENT_TYPES}


# --- models against the spec ----------------------------------------------------------


def test_every_event_type_in_the_spec_has_a_model_and_no_model_is_unspecified():
    spec_types, model_types = set(spec_catalog()), set(EVENT_TYPES)
    assert spec_types - model_types == set(), "event types in events.md without a model"
    assert model_types - spec_types == set(), "models without an event type in events.md"


@pytest.mark.parametrize("type_str", TYPES)
def test_model_fields_are_the_fields_the_spec_lists(type_str):
    spec = spec_catalog()[type_str]
    assert set(EVENT_TYPES[type_str].model.model_fields) == spec.fields


@pytest.mark.parametrize("type_str", TYPES)
def test_exactly_the_fields_the_spec_calls_optional_may_be_left_out(type_str):
    spec = spec_catalog()[type_str]
    fields = EVENT_TYPES[type_str].model.model_fields
    assert {name for name, f in fields.items() if not f.is_required()} == spec.optional


@pytest.mark.parametrize("type_str", TYPES)
def test_each_type_is_published_on_its_spec_topic_with_its_spec_key(type_str):
    spec = spec_catalog()[type_str]
    entry = EVENT_TYPES[type_str]
    topic_key = parse_topics(load_spec())[spec.topic].key_field
    assert entry.topic == spec.topic
    assert entry.key_field == (spec.key_field or topic_key)


def test_the_topics_and_their_producers_are_the_spec_topics():
    spec_topics = parse_topics(load_spec())
    assert set(topics.ALL_TOPICS) == set(spec_topics)
    assert {t: spec_topics[t].producer for t in spec_topics} == dict(topics.PRODUCERS)


def test_spec_field_notes_are_read_as_the_field_they_describe():
    fields, optional = parse_fields(
        "order_id, lines delivered [{sku, quantity}], shipments (count), "
        "aspects {accuracy, timeliness} (1–5, optional), nps (0–10, optional), "
        "requested_at (optional: when), reason (`a`\\|`b`) — a description, with commas"
    )
    assert fields == {"order_id", "lines", "shipments", "aspects", "nps", "requested_at", "reason"}
    assert optional == {"aspects", "nps", "requested_at"}


# --- samples --------------------------------------------------------------------------


def test_every_event_type_has_a_sample():
    assert set(SAMPLES) == set(EVENT_TYPES)


@pytest.mark.parametrize("type_str", TYPES)
def test_a_valid_sample_passes_the_model_and_the_committed_schema(type_str):
    model = validate_data(type_str, SAMPLES[type_str])
    assert isinstance(model, EVENT_TYPES[type_str].model)
    errors = [
        e.message
        for e in committed_validator(type_str).iter_errors(
            envelope_for(type_str, SAMPLES[type_str])
        )
    ]
    assert errors == []


@pytest.mark.parametrize("type_str", TYPES)
def test_a_sample_survives_a_json_round_trip_unchanged(type_str):
    model = validate_data(type_str, SAMPLES[type_str])
    assert validate_data(type_str, model.model_dump(mode="json")) == model


@pytest.mark.parametrize(("type_str", "field"), REQUIRED_FIELDS)
def test_a_sample_missing_a_required_field_is_refused(type_str, field):
    data = {k: v for k, v in SAMPLES[type_str].items() if k != field}
    with pytest.raises(ValidationError):
        validate_data(type_str, data)
    envelope = envelope_for(type_str, SAMPLES[type_str])
    envelope["data"] = data
    assert not committed_validator(type_str).is_valid(envelope)


@pytest.mark.parametrize("type_str", TYPES)
def test_a_sample_with_an_unknown_field_is_refused(type_str):
    data = {**SAMPLES[type_str], "surprise": 1}
    with pytest.raises(ValidationError):
        validate_data(type_str, data)
    envelope = envelope_for(type_str, SAMPLES[type_str])
    envelope["data"] = data
    assert not committed_validator(type_str).is_valid(envelope)


def test_an_envelope_of_another_type_does_not_pass_the_schema():
    envelope = envelope_for("orderpulse.order.released.v1", {"order_id": "ord_1"})
    envelope["type"] = "orderpulse.order.cancelled.v1"
    assert not committed_validator("orderpulse.order.released.v1").is_valid(envelope)
