"""What running needs is what the package depends on: the test extras stay out of the service and the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_ONLY = ("pytest", "hypothesis", "jsonschema", "playwright", "akismet")


BLOCK = """
import sys
class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {names!r}:
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, Absent())
"""


def test_the_service_and_the_cli_run_without_the_test_extras():
    """With the test extras made unimportable, the app, its worker and the CLI still load (scikit-learn imports
    pytest only if it is there)."""
    code = BLOCK.format(names=TEST_ONLY) + (
        "import moderation.service, moderation.service.worker, moderation.service.console, moderation.service.compat\n"
        "import moderation.cli.main, moderation.cli.serve, moderation.cli.keys\n"
        "from moderation.service import create_app\n"
        "app = create_app({'redis_url': 'redis://127.0.0.1:1'})\n"
        "print(len(app.url_map._rules))\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 30


def test_the_licence_is_an_spdx_expression_and_test_tools_are_extras():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"  # PEP 639; the table form makes setuptools warn
    runtime = " ".join(project["dependencies"]).lower()
    assert not [name for name in TEST_ONLY if name in runtime]
    assert {name for name in TEST_ONLY} <= {d.split(">")[0].split("=")[0] for d in project["optional-dependencies"]["test"]}


def test_every_file_the_packages_read_is_in_the_package_data():
    """A wheel (the container installs one) holds .py files and what package-data names: nothing else."""
    import fnmatch

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    data, folders = setuptools["package-data"], setuptools["package-dir"]
    missing = []
    for top in ("classifier", "service", "cli", "training"):
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(ROOT)
            covered = False
            for package, patterns in data.items():
                top = ".".join(package.split(".")[:2])  # moderation.service -> service/, its subpackages below it
                base = Path(folders[top], *package.split(".")[2:])
                if relative.is_relative_to(base):
                    rest = relative.relative_to(base).as_posix()
                    covered = covered or any(fnmatch.fnmatch(rest, pattern) for pattern in patterns)
            if not covered:
                missing.append(str(relative))
    assert missing == []


def test_every_package_is_installed_under_the_moderation_namespace():
    """The folders stay at the top of the repository and install as moderation.<folder>: pyproject.toml lists every
    package (a folder with an __init__.py), and no installed name is a generic top-level one."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = setuptools["package-dir"]
    found = set()
    for top, folder in folders.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((top, *parts)))
    assert sorted(setuptools["packages"]) == sorted(found)
    assert all(name.startswith("moderation.") for name in found)


def test_installing_the_package_prints_no_warning_of_ours(tmp_path):
    """pip install -e . (what make run does) in a new virtual environment: no deprecation warning, no warning about
    the project's configuration. setuptools' notice that any editable install of a flat layout gets ("Editable
    installation. Please be careful with folders ... with the same name as your package") is its own, not ours."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # the Makefile's pip: a current one shows the build backend's warnings, an older one hides them
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True, timeout=300)
    done = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--no-deps", "-e", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # This machine's pip configuration names package folders that do not exist: its own warnings, not ours.
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip() and "Location 'file:" not in line]
    warnings = [line for line in lines if "warning" in line.lower()]
    assert all("BuildBackendWarning: Editable installation." in line for line in warnings), warnings
    assert not [line for line in lines if re.search(r"deprecat|licen[cs]e", line, re.IGNORECASE)], lines


def test_the_version_is_the_one_the_readme_and_the_old_command_name_speak_of():
    """The `moderator` command is "the name before 0.2": the package is 0.2 or later, and the README names it."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    version = tomllib.loads(pyproject)["project"]["version"]
    readme = " ".join((ROOT / "README.md").read_text().split())
    before = re.search(r"Before (\d+)\.(\d+) it was called `moderator`", readme)
    assert before and "the name before 0.2" in pyproject
    assert tuple(int(n) for n in version.split(".")[:2]) >= (int(before.group(1)), int(before.group(2)))
    assert f"This is version {version} (`pyproject.toml`)." in readme
