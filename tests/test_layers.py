"""Imports run down: pix_livret (what a person starts) → flows (Prefect) → pipeline (the use cases) → store → transforms
→ schemas, never back up, and no two modules import each other, however long the way round.

And transforms are pure: frames and values in and out, no database (that is the store's) and no Prefect (the flows').
The flows are Prefect's wiring and only that: every one of their modules uses Prefect, and no module below them does.
"""
from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYERS = ["pix_livret", "flows", "pipeline", "store", "transforms", "schemas"]  # each may import those after it, never before
NOT_IN_TRANSFORMS = {"sqlalchemy", "prefect"}
# the store's modules that may reach Prefect, each with its reason
STORE_WITH_PREFECT = {
    # _say: a wait for SQLite's lock goes into the flow run's log when there is a run (only if Prefect is loaded)
    "store/database.py",
}


def imported_names(path: Path) -> set[str]:
    """The top-level names of every package a module imports, wherever the import statement is (functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The project's MODULES a module imports, wherever the import statement is: `from package import module` names a
    module too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found & modules


def imported_packages(path: Path) -> set[str]:
    """The project's packages a module imports."""
    return imported_names(path) & set(LAYERS)


@pytest.mark.parametrize("layer", LAYERS[1:])
def test_a_layer_imports_nothing_above_it(layer):
    above = set(LAYERS[:LAYERS.index(layer)])
    upward = {str(path.relative_to(REPO)): sorted(imported_packages(path) & above)
              for path in sorted((REPO / layer).rglob("*.py"))}
    assert {module: packages for module, packages in upward.items() if packages} == {}


def test_transforms_touch_neither_the_database_nor_prefect():
    impure = {str(path.relative_to(REPO)): sorted(imported_names(path) & NOT_IN_TRANSFORMS)
              for path in sorted((REPO / "transforms").rglob("*.py"))}
    assert {module: names for module, names in impure.items() if names} == {}


def test_every_flows_module_is_prefect_wiring():
    without = {str(path.relative_to(REPO)) for path in sorted((REPO / "flows").glob("*.py"))
               if path.name != "__init__.py" and "prefect" not in imported_names(path)}
    assert without == set()


def test_the_pipeline_leaves_prefect_to_the_flows():
    with_prefect = {str(path.relative_to(REPO)) for path in sorted((REPO / "pipeline").rglob("*.py"))
                    if "prefect" in imported_names(path)}
    assert with_prefect == set()


def test_the_store_leaves_prefect_to_the_flows():
    with_prefect = {str(path.relative_to(REPO)) for path in sorted((REPO / "store").rglob("*.py"))
                    if "prefect" in imported_names(path)}
    assert with_prefect == STORE_WITH_PREFECT


def test_the_layers_are_the_packages_of_the_tree():
    packages = {path.parent.name for path in REPO.glob("*/__init__.py") if path.parent.name != "tests"}
    assert packages == set(LAYERS)


def test_no_module_imports_itself_by_a_way_round():
    paths = {".".join(path.relative_to(REPO).with_suffix("").parts): path
             for layer in LAYERS for path in (REPO / layer).rglob("*.py")}
    graph = {module: imported_modules(path, set(paths)) - {module} for module, path in paths.items()}
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as circle:
        pytest.fail(f"import circle: {' -> '.join(circle.args[1])}")
