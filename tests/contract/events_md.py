"""Reads the event catalog out of the spec's events.md tables, for contract tests."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR_ENV = "ORDERPULSE_SPEC_DIR"

_SECTION = re.compile(r"^###\s+(orderpulse\.[a-z_]+)")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_FIELD_NAME = re.compile(r"\s*([a-z_][a-z0-9_]*)")
_KEY_NOTE = re.compile(r"\(key:\s*([a-z ]+?)\s*\)")
_OPENERS, _CLOSERS = "([{", ")]}"


@dataclass(frozen=True)
class SpecTopic:
    topic: str
    producer: str
    key_field: str


@dataclass(frozen=True)
class SpecEventType:
    type: str
    topic: str
    fields: frozenset[str]
    optional: frozenset[str]
    key_field: str | None


def events_md_path() -> Path:
    """`../shared/spec/events.md` beside the repo, else `$ORDERPULSE_SPEC_DIR/events.md`."""
    beside_repo = REPO_ROOT.parent / "shared" / "spec" / "events.md"
    if beside_repo.exists():
        return beside_repo
    spec_dir = os.environ.get(SPEC_DIR_ENV)
    if spec_dir:
        return Path(spec_dir) / "events.md"
    raise FileNotFoundError(f"no events.md at {beside_repo}; set {SPEC_DIR_ENV} to the spec folder")


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in _CELL_SPLIT.split(row.strip())[1:-1]]


def _top_level_segments(text: str) -> list[str]:
    """Split at commas outside brackets, dropping a trailing ` — description`."""
    segments, current, depth = [], [], 0
    for char in text:
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth -= 1
        elif depth == 0 and char == "—":
            break
        elif depth == 0 and char == ",":
            segments.append("".join(current))
            current = []
            continue
        current.append(char)
    segments.append("".join(current))
    return [s.strip() for s in segments if s.strip()]


def parse_fields(data_cell: str) -> tuple[frozenset[str], frozenset[str]]:
    """Top-level field names of one catalog row and which of them are optional.

    `lines delivered [{sku, quantity}]` is field `lines`, `shipments (count)` is `shipments`,
    `nps (0–10, optional)` is an optional `nps`.
    """
    fields, optional = set(), set()
    for segment in _top_level_segments(data_cell):
        match = _FIELD_NAME.match(segment)
        if not match:
            raise ValueError(f"cannot read a field name from {segment!r}")
        fields.add(match.group(1))
        if re.search(r"\boptional\b", segment):
            optional.add(match.group(1))
    return frozenset(fields), frozenset(optional)


def _snake(words: str) -> str:
    return "_".join(words.split())


def parse_topics(markdown: str) -> dict[str, SpecTopic]:
    """The rows of the Topics table, without the DLQ pattern row."""
    found = {}
    for line in markdown.splitlines():
        if not line.startswith("| `orderpulse."):
            continue
        cells = _cells(line)
        topic = cells[0].strip("`")
        if "<" in topic or len(cells) != 4:
            continue
        found[topic] = SpecTopic(topic, cells[1], _snake(cells[2]))
    return found


def parse_catalog(markdown: str) -> dict[str, SpecEventType]:
    """Full type string -> what the catalog tables say about it."""
    catalog: dict[str, SpecEventType] = {}
    topic = None
    for line in markdown.splitlines():
        section = _SECTION.match(line)
        if section:
            topic = section.group(1)
            continue
        if topic is None or not line.startswith("| `"):
            continue
        type_cell, data_cell = _cells(line)
        full = "orderpulse." + type_cell.strip("`")
        fields, optional = parse_fields(data_cell)
        key_note = _KEY_NOTE.search(data_cell)
        key_field = _snake(key_note.group(1)) if key_note else None
        catalog[full] = SpecEventType(full, topic, fields, optional, key_field)
    return catalog


def load_spec() -> str:
    return events_md_path().read_text(encoding="utf-8")
