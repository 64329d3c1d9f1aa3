"""The code passes the project's linter (ruff, rules in `pyproject.toml`), as `make lint` checks it:
a rule broken anywhere fails the suite, not only a developer's local run."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_finds_nothing_in_the_code_or_the_tests():
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--no-cache", "shared", "services", "tests", "bench"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
