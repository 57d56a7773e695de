"""The customer import package's layout (issue 7 item 16): reading → checking → writing."""

import ast
from pathlib import Path

from anju.customers import imports

PACKAGE = Path(imports.__file__).parent
ALLOWED = {"reading": set(), "checking": {"reading"}, "writing": {"reading", "checking"}}


def _siblings_imported(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.add(node.module or "")
    return found


def test_the_modules_depend_one_way_so_there_is_no_cycle():
    """Issue 7 item 16: writing may use checking and reading, checking only reading."""
    assert {m: _siblings_imported(m) for m in ALLOWED} == ALLOWED


def test_the_package_re_exports_the_names_used_elsewhere():
    """Issue 7 item 16: ``from anju.customers.imports import X`` keeps working."""
    from anju.customers.imports import checking, reading, writing

    assert imports.read_table is reading.read_table
    assert imports.may_see_import is checking.may_see_import
    assert imports.run_customer_import is writing.run_customer_import
    assert all(getattr(imports, name, None) is not None for name in imports.__all__)
