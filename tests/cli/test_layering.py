"""The packages' layering: cli -> service, training -> classifier; never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: package -> the top-level packages of this project it must not import
FORBIDDEN = {
    "classifier": {"service", "training", "cli"},
    "training": {"service", "cli"},
    "service": {"training", "cli"},
}


def imported(path: Path) -> set[str]:
    """Return the top-level packages a module imports (relative imports resolve inside its own package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_goes_up_the_layers(package):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
        if imported(path) & FORBIDDEN[package]
    }
    assert wrong == {}


def test_the_cli_does_not_import_blueprints():
    wrong = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "cli").rglob("*.py"))
        if any(name.startswith(("service.api", "service.compat", "service.console")) for name in _modules(path))
    ]
    assert wrong == []


def _modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
