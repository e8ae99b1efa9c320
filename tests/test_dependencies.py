"""The installed package imports only what pyproject.toml's [project] dependencies declare.

A package that only the test extra or another dependency brings in works on a developer's machine
and breaks a plain `pip install pix-livret`, so every import of the shipped code is checked here.
"""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@cache
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def normalise_distribution(name: str) -> str:
    # PEP 503: PyYAML, pyyaml and py_yaml are one distribution
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions() -> set[str]:
    names = (re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec.strip()) for spec in pyproject()["project"]["dependencies"])
    return {normalise_distribution(match.group(0)) for match in names if match}


def own_packages() -> set[str]:
    patterns = pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    return {pattern.rstrip("*").rstrip(".") for pattern in patterns}


def shipped_files() -> list[Path]:
    return sorted(path for package in sorted(own_packages()) for path in (ROOT / package).rglob("*.py"))


def absolute_imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level name) of every absolute import in the file, at top level or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def undeclared_imports() -> list[str]:
    declared, own = declared_distributions(), own_packages()
    providers = packages_distributions()
    missing = []
    for path in shipped_files():
        for line, name in absolute_imports(path):
            if name in sys.stdlib_module_names or name in own:
                continue
            distributions = {normalise_distribution(d) for d in providers.get(name, [])}
            if not distributions & declared:
                given_by = ", ".join(sorted(distributions)) or "no installed distribution"
                missing.append(f"{path.relative_to(ROOT)}:{line} imports {name} ({given_by})")
    return missing


def test_shipped_code_imports_only_declared_dependencies():
    missing = undeclared_imports()

    assert not missing, ("declare these in pyproject.toml's [project] dependencies (an extra or "
                         "another package bringing them in is not enough):\n" + "\n".join(missing))


def test_the_scan_sees_imports_inside_functions_and_skips_relative_ones(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("import os.path\nfrom . import sibling\n\ndef late():\n    from pypdf import PdfReader\n"
                      "    import yaml, lxml.etree\n", encoding="utf-8")

    assert absolute_imports(module) == [(1, "os"), (5, "pypdf"), (6, "yaml"), (6, "lxml")]


def test_the_scan_covers_every_shipped_package():
    scanned = {path.relative_to(ROOT).parts[0] for path in shipped_files()}

    assert scanned == {"pix_livret", "flows", "pipeline", "store", "transforms", "schemas"}
