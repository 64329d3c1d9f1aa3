"""The domain stays framework-free, and its errors keep stable codes."""

import ast
import sys
from pathlib import Path

import order_svc.domain
from order_svc.domain import errors

DOMAIN = Path(order_svc.domain.__file__).parent


def imported_top_level_modules(source: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules


def test_the_domain_imports_nothing_outside_the_standard_library():
    outside = {
        f"{source.name}: {module}"
        for source in DOMAIN.glob("*.py")
        for module in imported_top_level_modules(source)
        if module not in sys.stdlib_module_names and module != "__future__"
    }
    assert outside == set()


def test_every_domain_error_has_its_own_code():
    classes = [cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.DomainError)]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))
    assert errors.CannotCancelDispatched.code == "cannot_cancel_dispatched"
    assert errors.OrderNotFound.code == "order_not_found"
    assert issubclass(errors.CannotCancelDispatched, errors.InvalidTransition)
