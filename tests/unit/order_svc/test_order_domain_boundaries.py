"""The domain stays framework-free, and its errors keep stable codes."""

import importlib.util
import re
import sys
from pathlib import Path

import order_svc.domain
from order_svc.domain import errors

DOMAIN = Path(order_svc.domain.__file__).parent
# the shared library's modules written in the standard library alone, for every domain to use
SHARED_STANDARD_LIBRARY_ONLY = {"orderpulse.rfc3339", "orderpulse.events.limits"}


IMPORT = re.compile(r"^\s*(?:from\s+(\w[\w.]*)\s+import|import\s+([\w., ]+))", re.MULTILINE)


def imported_modules(source: Path) -> set[str]:
    """Absolute imports of a module, read line by line (`ast.parse` can fail spuriously on CPython
    3.11.7 once Hypothesis has moved the recursion limit in the same process)."""
    modules = set()
    for from_module, names in IMPORT.findall(source.read_text()):
        if from_module:
            modules.add(from_module)
        else:
            modules.update(name.split(" as ")[0].strip() for name in names.split(","))
    return modules


def outside_the_standard_library(modules: set[str]) -> set[str]:
    return {module for module in modules if module.split(".")[0] not in sys.stdlib_module_names and module != "__future__"}


def test_the_domain_imports_nothing_outside_the_standard_library():
    outside = {
        f"{source.name}: {module}"
        for source in DOMAIN.glob("*.py")
        for module in outside_the_standard_library(imported_modules(source))
        if module not in SHARED_STANDARD_LIBRARY_ONLY
    }
    assert outside == set()


def test_the_shared_modules_the_domain_may_use_are_standard_library_only():
    for name in SHARED_STANDARD_LIBRARY_ONLY:
        source = Path(importlib.util.find_spec(name).origin)
        assert outside_the_standard_library(imported_modules(source)) == set(), name


def test_every_domain_error_has_its_own_code():
    classes = [cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.DomainError)]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))
    assert errors.CannotCancelDispatched.code == "cannot_cancel_dispatched"
    assert errors.OrderNotFound.code == "order_not_found"
    assert issubclass(errors.CannotCancelDispatched, errors.InvalidTransition)
