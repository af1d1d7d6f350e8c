"""The dependency order of docs/architecture.md, measured from the code.

`make lint` runs import-linter's contracts (pyproject.toml, [tool.importlinter]) over the packages. Two things it
cannot see are checked here: the foundation modules (errors.py, settings.py, logs.py are modules, not packages)
import nothing of ours but each other, and the contracts really refuse an import against the order.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOUNDATION = ("errors", "settings", "logs", "formats")


def _ours() -> set[str]:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    modules = {path.stem for path in ROOT.glob("*.py")}
    return packages | modules


def _imported_tops(path: Path) -> set[str]:
    """Top-level names imported anywhere in the file (module level and inside functions)."""
    tops: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops.add(node.module.split(".")[0])
    return tops


@pytest.mark.parametrize("module", FOUNDATION)
def test_the_foundation_imports_nothing_of_ours_but_itself(module: str) -> None:
    ours = _ours() - set(FOUNDATION)
    assert not _imported_tops(ROOT / f"{module}.py") & ours


def test_nothing_imports_the_composition_root() -> None:
    offenders = [str(path.relative_to(ROOT)) for path in ROOT.rglob("*.py")
                 if ".venv" not in path.parts and path.parts[len(ROOT.parts)] not in {"tests", "bench"}
                 and path.name != "app.py" and "app" in _imported_tops(path)]
    assert offenders == []


def _lint_imports() -> Path:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    return Path(found)


def test_the_contracts_pass_and_refuse_an_import_against_the_order(tmp_path: Path) -> None:
    lint = _lint_imports()
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "*.egg-info", "__pycache__", "tests"))

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(lint), "--no-cache"], cwd=copy, capture_output=True, text=True, timeout=120,
                              env={"PATH": str(lint.parent), "PYTHONPATH": str(copy)})

    kept = run()
    assert kept.returncode == 0, kept.stdout + kept.stderr

    with (copy / "timesheets" / "burn.py").open("a") as handle:  # a use case reaching up into the Slack layer
        handle.write("\n\ndef _backwards() -> None:\n    from bot.views import blocks  # noqa: F401\n")
    broken = run()
    assert broken.returncode != 0
    assert "timesheets is not allowed to import bot" in broken.stdout
