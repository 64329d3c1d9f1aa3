"""A benchmark script of the repository's `bench/` loaded as a module, for tests of its helpers and
defaults: run as when it is started (its folder first on `sys.path`, for `_harness` and
`_http_load`), `sys.path` put back afterwards."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_bench_script(bench_dir: Path, name: str) -> ModuleType:
    """`bench_dir/<name>.py` as a module of its own (never the one a bench run would import)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}_under_test", bench_dir / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    saved = sys.path[:]
    try:
        sys.path.insert(0, str(bench_dir))
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module
