"""docs/asyncapi.yaml is generated from the registry and is a valid AsyncAPI 3.0.0 document."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from jsonschema import Draft7Validator
from orderpulse.events import ALL_TOPICS, EVENT_TYPES, dlq_topic
from orderpulse.events.asyncapi import (
    ASYNCAPI_PATH,
    GENERATE_COMMAND,
    build_document,
    difference,
)

VENDORED_SCHEMA = Path(__file__).parent / "vendor" / "asyncapi-3.0.0.json"


def committed_document() -> dict:
    return yaml.safe_load(ASYNCAPI_PATH.read_text(encoding="utf-8"))


def resolve(document: dict, ref: str):
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def all_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from all_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from all_refs(item)


def test_committed_document_equals_the_generated_one():
    diff = difference()
    assert not diff, f"docs/asyncapi.yaml is out of date; run: {GENERATE_COMMAND}\n{diff}"


def test_committed_document_is_valid_against_the_asyncapi_3_0_0_schema():
    schema = json.loads(VENDORED_SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(Draft7Validator(schema).iter_errors(committed_document()), key=str)
    assert [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors] == []


def test_an_invalid_document_is_caught_by_the_vendored_schema():
    schema = json.loads(VENDORED_SCHEMA.read_text(encoding="utf-8"))
    document = build_document()
    document["operations"]["publish_orders"]["action"] = "publish"
    assert not Draft7Validator(schema).is_valid(document)


def test_every_reference_in_the_document_resolves():
    document = committed_document()
    refs = set(all_refs(document))
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), ref
        resolve(document, ref)


def test_every_event_type_is_a_message_on_its_topic_channel():
    document = committed_document()
    by_address = {c["address"]: c for c in document["channels"].values()}
    for type_str, entry in EVENT_TYPES.items():
        channel = by_address[entry.topic]
        names = {resolve(document, ref["$ref"])["name"] for ref in channel["messages"].values()}
        assert type_str in names


def test_the_five_topics_and_the_dlq_pattern_are_channels():
    addresses = {c["address"] for c in build_document()["channels"].values()}
    assert addresses == set(ALL_TOPICS) | {dlq_topic("{service}")}
