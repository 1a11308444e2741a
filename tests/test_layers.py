"""The layers of docs/ARCHITECTURE.md, as import-linter contracts (pyproject.toml, [tool.importlinter]).

cli over service and training, which never import each other, both over classifier; inside the service, the HTTP
layer (api, console, compat) over the actions over the store, and the HTTP layer's modules (with auth, validation,
schemas, openapi) never importing the store themselves; the command line never importing an endpoint; no import
cycle among the training modules. Indirect imports count for layers (a chain through other modules breaks one).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from importlinter import cli as importlinter

ROOT = Path(__file__).resolve().parent.parent


def test_every_layer_contract_is_kept(capsys):
    status = importlinter.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    report = capsys.readouterr().out
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert status == importlinter.EXIT_STATUS_SUCCESS, report
    assert f"Contracts: {len(contracts)} kept, 0 broken." in report, report


def test_a_layer_the_code_does_not_keep_is_reported_broken(tmp_path, capsys):
    """The check is not vacuous: with the floors upside down (the classifier over the service), it fails and names
    an import that breaks them."""
    config = tmp_path / "upside_down.toml"
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    roots = ", ".join(f'"{r}"' for r in settings["root_packages"])
    config.write_text(
        f"[tool.importlinter]\nroot_packages = [{roots}]\n\n"
        '[[tool.importlinter.contracts]]\nname = "upside down"\ntype = "layers"\n'
        'layers = ["moderation.classifier", "moderation.service"]\n'
    )
    status = importlinter.lint_imports(config_filename=str(config), no_cache=True)
    report = capsys.readouterr().out
    assert status != importlinter.EXIT_STATUS_SUCCESS
    assert "moderation.service" in report and "moderation.classifier" in report and "BROKEN" in report
