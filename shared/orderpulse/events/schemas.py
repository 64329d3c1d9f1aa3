"""JSON Schema snapshots of the event contract, one file per event type.

Each schema describes a whole CloudEvents envelope whose `type` is fixed and whose `data`
is that type's model. Regenerate after changing a model:

    PYTHONPATH=shared python -m orderpulse.events.schemas          # write shared/schemas/
    PYTHONPATH=shared python -m orderpulse.events.schemas --check  # exit 1 on drift
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .envelope import CONTENT_TYPE
from .registry import EVENT_TYPES, EventType

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
GENERATE_COMMAND = "PYTHONPATH=shared python -m orderpulse.events.schemas"
TRACEPARENT_PATTERN = "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}"


def schema_id(type_str: str) -> str:
    return f"urn:orderpulse:schema:{type_str}"


def schema_filename(type_str: str) -> str:
    return f"{type_str}.json"


def envelope_properties(
    *, type_schema: dict[str, Any], data_schema: dict[str, Any], key_description: str
) -> dict[str, Any]:
    """The CloudEvents envelope's properties (events.md), with `type` and `data` as given."""
    return {
        "specversion": {"const": "1.0"},
        "id": {"type": "string", "minLength": 1, "description": "unique; the dedup key"},
        "source": {"type": "string", "minLength": 1, "description": "e.g. /order-svc"},
        "type": type_schema,
        "subject": {"type": "string", "minLength": 1, "description": key_description},
        "time": {
            "type": "string",
            "format": "date-time",
            "description": "event time (when it happened), RFC 3339 UTC",
        },
        "datacontenttype": {"const": "application/json"},
        "partitionkey": {"type": "string", "minLength": 1, "description": key_description},
        "traceparent": {"type": "string", "pattern": TRACEPARENT_PATTERN},
        "data": data_schema,
    }


ENVELOPE_REQUIRED = [
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "partitionkey",
    "data",
]


def event_schema(entry: EventType) -> dict[str, Any]:
    """The JSON Schema of a whole envelope carrying one event type."""
    data_schema = entry.model.model_json_schema()
    defs = data_schema.pop("$defs", {})
    schema: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(entry.type),
        "title": entry.type,
        "description": (
            f"{entry.model.__doc__.strip().splitlines()[0]} "
            f"Topic {entry.topic}, keyed by {entry.key_field}; "
            f"Kafka value content type {CONTENT_TYPE}."
        ),
        "type": "object",
        "properties": envelope_properties(
            type_schema={"const": entry.type},
            data_schema=data_schema,
            key_description=f"the record key: data.{entry.key_field}",
        ),
        "required": ENVELOPE_REQUIRED,
    }
    if defs:
        schema["$defs"] = defs
    return schema


def generate_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every event type in the catalog."""
    return {schema_filename(t): event_schema(entry) for t, entry in sorted(EVENT_TYPES.items())}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def differences(directory: Path = SCHEMA_DIR) -> list[str]:
    """What differs between the committed schema files and freshly generated ones."""
    generated = generate_schemas()
    committed = {p.name: p for p in directory.glob("orderpulse.*.json")}
    problems = [f"missing: {name}" for name in sorted(generated.keys() - committed.keys())]
    problems += [f"stale: {name}" for name in sorted(committed.keys() - generated.keys())]
    for name in sorted(generated.keys() & committed.keys()):
        if committed[name].read_text(encoding="utf-8") != render(generated[name]):
            problems.append(f"changed: {name}")
    return problems


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema and remove files of types no longer in the catalog."""
    directory.mkdir(parents=True, exist_ok=True)
    generated = generate_schemas()
    for stale in directory.glob("orderpulse.*.json"):
        if stale.name not in generated:
            stale.unlink()
    written = []
    for name, schema in generated.items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orderpulse.events.schemas",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the files are out of date")
    parser.add_argument("--out", type=Path, default=SCHEMA_DIR, help="schema folder")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences(args.out)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"event schemas are out of date; run: {GENERATE_COMMAND}", file=sys.stderr)
            return 1
        print(f"{len(EVENT_TYPES)} event schemas up to date in {args.out}")
        return 0
    written = write_schemas(args.out)
    print(f"wrote {len(written)} event schemas to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
