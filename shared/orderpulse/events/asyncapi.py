"""The AsyncAPI 3.0 document of the event contract, generated from the registry.

PYTHONPATH=shared python -m orderpulse.events.asyncapi          # write docs/asyncapi.yaml
PYTHONPATH=shared python -m orderpulse.events.asyncapi --check  # exit 1 on drift
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from .. import __version__
from . import topics
from .envelope import CONTENT_TYPE
from .registry import EVENT_TYPES, EventType
from .schemas import ENVELOPE_REQUIRED, envelope_properties

ASYNCAPI_PATH = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.yaml"
GENERATE_COMMAND = "PYTHONPATH=shared python -m orderpulse.events.asyncapi"
KAFKA_BINDING_VERSION = "0.5.0"
SCHEMA_REF = "#/components/schemas/{model}"
CONSUMING_SERVICES = ["order-svc", "fulfillment-svc", "notify-svc", "feedback-svc", "kpi-svc"]

_TOPIC_INFO = {
    topics.CUSTOMERS: ("customers", "Customer profiles (compacted in real Kafka)."),
    topics.ORDERS: ("orders", "Order lifecycle, payment, invoices, returns requested."),
    topics.FULFILLMENT: ("fulfillment", "Warehouse and carrier lifecycle."),
    topics.NOTIFICATIONS: ("notifications", "What customers were told, when, and how."),
    topics.FEEDBACK: ("feedback", "Surveys, ratings, issues and their SLA clock."),
}

_DESCRIPTION = " ".join(
    ["Every", "fact", "that", "crosses", "an", "OrderPulse", "service", "boundary", "is", "a", "CloudEvents", "1.0", "event", "in", "structured", "JSON", "mode", "on", "Kafka.", "The", "record", "key", "equals", "the", "envelope's", "`partitionkey`:", "the", "order", "id,", "except", "on", "the", "customers", "topic", "(customer", "id)", "and", "for", "`labor.shift_recorded`", "(warehouse", "id).", "`id`", "is", "the", "dedup", "key", "of", "every", "consumer;", "`time`", "is", "event", "time.", "Records", "carry", "the", "headers", "`ce_type`", "and", "`ce_id`", "(and", "`traceparent`", "where", "tracing", "is", "on).", "Topics", "have", "12", "partitions", "by", "default,", "replication", "3", "in", "real", "clusters", "(1", "on", "the", "embedded", "broker)."]
)


def _message_key(entry: EventType) -> str:
    return entry.short_type


def _component_schemas() -> dict[str, Any]:
    models = sorted({entry.model for entry in EVENT_TYPES.values()}, key=lambda m: m.__name__)
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=SCHEMA_REF)
    defs = top["$defs"]
    names = [m.__name__ for m in models]
    if len(set(names)) != len(names) or not set(names) <= set(defs):
        raise RuntimeError("event models need unique class names for the AsyncAPI document")
    envelope = {
        "type": "object",
        "description": "The CloudEvents 1.0 envelope every event travels in.",
        "properties": envelope_properties(
            type_schema={"type": "string", "pattern": r"^orderpulse\.[a-z_.]+\.v[0-9]+$"},
            data_schema={"type": "object"},
            key_description="the record key (order id unless the event type says otherwise)",
        ),
        "required": ENVELOPE_REQUIRED,
    }
    headers = {
        "type": "object",
        "description": "Kafka record headers: copies of the envelope's type and id.",
        "properties": {
            "ce_type": {"type": "string"},
            "ce_id": {"type": "string"},
            "traceparent": {"type": "string"},
        },
        "required": ["ce_type", "ce_id"],
    }
    return {"CloudEventEnvelope": envelope, "RecordHeaders": headers, **dict(sorted(defs.items()))}


def _message(entry: EventType) -> dict[str, Any]:
    model = entry.model
    return {
        "name": entry.type,
        "title": model.__name__,
        "summary": (model.__doc__ or "").strip().splitlines()[0],
        "contentType": CONTENT_TYPE,
        "headers": {"$ref": "#/components/schemas/RecordHeaders"},
        "payload": {
            "allOf": [
                {"$ref": "#/components/schemas/CloudEventEnvelope"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": entry.type},
                        "data": {"$ref": SCHEMA_REF.format(model=model.__name__)},
                    },
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"data.{entry.key_field}"},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _dead_letter_message() -> dict[str, Any]:
    return {
        "name": "dead_letter",
        "title": "DeadLetter",
        "summary": "A record a consumer could not parse or apply after bounded retries.",
        "description": (
            "The original record's key and value, unchanged (the value may not even be JSON), "
            "with the error that stopped the consumer added to the record headers."
        ),
        "contentType": "application/octet-stream",
        "payload": {"description": "the original record value"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "the original record key"},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _channel(topic: str, entries: list[EventType]) -> dict[str, Any]:
    _, what = _TOPIC_INFO[topic]
    binding: dict[str, Any] = {
        "partitions": topics.DEFAULT_PARTITIONS,
        "bindingVersion": KAFKA_BINDING_VERSION,
    }
    if topic == topics.CUSTOMERS:
        binding["topicConfiguration"] = {"cleanup.policy": ["compact"]}
    return {
        "address": topic,
        "title": topic,
        "description": f"{what} Produced by {topics.PRODUCERS[topic]}.",
        "messages": {
            _message_key(e): {"$ref": f"#/components/messages/{_message_key(e)}"} for e in entries
        },
        "bindings": {"kafka": binding},
    }


def build_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document as plain data."""
    by_topic = {
        topic: [e for e in EVENT_TYPES.values() if e.topic == topic] for topic in topics.ALL_TOPICS
    }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic, entries in by_topic.items():
        name, _ = _TOPIC_INFO[topic]
        channels[name] = _channel(topic, entries)
        operations[f"publish_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "title": f"{topics.PRODUCERS[topic]} publishes to {topic}",
            "messages": [
                {"$ref": f"#/channels/{name}/messages/{_message_key(e)}"} for e in entries
            ],
        }
    channels["dlq"] = {
        "address": topics.DLQ_PREFIX + "{service}",
        "title": "dead-letter topics",
        "description": "One per consuming service; records it could not process.",
        "parameters": {
            "service": {"description": "the consuming service", "examples": CONSUMING_SERVICES}
        },
        "messages": {"dead_letter": {"$ref": "#/components/messages/dead_letter"}},
    }
    operations["publish_dead_letters"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/dlq"},
        "title": "each consumer dead-letters records it cannot process",
        "messages": [{"$ref": "#/channels/dlq/messages/dead_letter"}],
    }
    messages = {_message_key(e): _message(e) for e in EVENT_TYPES.values()}
    messages["dead_letter"] = _dead_letter_message()
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "OrderPulse events", "version": __version__, "description": _DESCRIPTION},
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"schemas": _component_schemas(), "messages": messages},
    }


def render_document() -> str:
    """The YAML text of docs/asyncapi.yaml."""
    body = yaml.safe_dump(build_document(), sort_keys=False, allow_unicode=True, width=100)
    return f"# Generated from the event registry by `{GENERATE_COMMAND}`. Do not edit.\n{body}"


def difference(path: Path = ASYNCAPI_PATH) -> str:
    """A unified diff from the committed document to the generated one; empty if equal."""
    committed = path.read_text(encoding="utf-8") if path.exists() else ""
    return "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            render_document().splitlines(keepends=True),
            fromfile=f"{path} (committed)",
            tofile="generated",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orderpulse.events.asyncapi",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    parser.add_argument("--out", type=Path, default=ASYNCAPI_PATH, help="document path")
    args = parser.parse_args(argv)
    if args.check:
        diff = difference(args.out)
        if diff:
            print(diff, file=sys.stderr)
            print(f"{args.out} is out of date; run: {GENERATE_COMMAND}", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_document(), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
