"""The layers of order-svc stay as style.md draws them (import-linter contracts in its pyproject.toml)."""

from pathlib import Path

import order_svc
from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

PYPROJECT = Path(order_svc.__file__).parents[2] / "pyproject.toml"


def test_every_layer_imports_only_what_it_may():
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == EXIT_STATUS_SUCCESS
