"""The suite's test modules are imported by their file name alone (no packages under tests/, pytest's
default import mode): two files of one name in different folders stop the whole run at collection
("import file mismatch"), which running either folder alone never shows."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_file_name():
    folders_by_name: dict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("*.py"):
        if path.name.startswith("test_") or path.name.endswith("_test.py"):
            folders_by_name[path.name].append(str(path.parent.relative_to(TESTS)))
    assert len(folders_by_name) > 100, "the tests were not found"
    shared = {name: folders for name, folders in folders_by_name.items() if len(folders) > 1}
    assert shared == {}, f"rename one of each: {shared}"
