"""Imports run down: pix_livret (what a person starts) → flows → transforms → schemas, never back up."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYERS = ["pix_livret", "flows", "transforms", "schemas"]  # each may import those after it, never those before


def imported_packages(path: Path) -> set[str]:
    """The project's packages a module imports, wherever the import statement is (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(LAYERS)


@pytest.mark.parametrize("layer", LAYERS[1:])
def test_a_layer_imports_nothing_above_it(layer):
    above = set(LAYERS[:LAYERS.index(layer)])
    upward = {str(path.relative_to(REPO)): sorted(imported_packages(path) & above)
              for path in sorted((REPO / layer).rglob("*.py"))}
    assert {module: packages for module, packages in upward.items() if packages} == {}
