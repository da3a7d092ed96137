"""The import contracts of pyproject.toml hold, and the ones for the areas inside ops_db can fail.

The contract is read from pyproject.toml as it is (nothing retyped here) and run with the real ``lint-imports``:
on the tree as it is, and on a copy of ops_db with one forbidden import added, which it must refuse by name.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
AREAS = "Areas inside ops_db depend one way, kit at the bottom"
TABLES = "Tables import only tables and kit"


def _ops_db_contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    found = [c for c in config["contracts"] if c["name"] in (AREAS, TABLES)]
    assert len(found) == 2
    return found


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with only the contracts inside ops_db, over the ops_db found in ``tree``."""
    lines = ["[tool.importlinter]", 'root_packages = ["ops_db"]']
    for contract in _ops_db_contracts():
        lines += ["", "[[tool.importlinter.contracts]]"]
        lines += [f"{key} = {_toml(value)}" for key, value in contract.items()]
    config = tree / "areas.toml"
    config.write_text("\n".join(lines) + "\n")
    return subprocess.run(
        [str(LINT_IMPORTS), str(config), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture()
def ops_db_copy(tmp_path: Path) -> Path:
    """A copy of the ops_db sources (Python files only) to break on purpose."""

    def not_source(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n == "__pycache__" or not (n.endswith(".py") or (Path(folder) / n).is_dir())]

    shutil.copytree(ROOT / "ops_db", tmp_path / "ops_db", ignore=not_source)
    return tmp_path


def test_every_contract_of_pyproject_is_kept() -> None:
    """The whole project, every contract (this one and the package and outside-package ones)."""
    result = subprocess.run([str(LINT_IMPORTS)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{AREAS} KEPT" in result.stdout and f"{TABLES} KEPT" in result.stdout


def test_the_area_contract_keeps_the_tree_as_it_is(ops_db_copy: Path) -> None:
    result = _lint(ops_db_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "contract", "refused"),
    [
        # The cycle the issue found: orders calling back into billing, hidden inside a function.
        (
            "orders/lifecycle.py",
            "def _late():\n    from ops_db.billing.service import balance\n    return balance\n",
            AREAS,
            "ops_db.orders.lifecycle -> ops_db.billing.service",
        ),
        # kit at the bottom: it imports no area (its permission catalogue is its own).
        (
            "kit/uow.py",
            "from ops_db.identity import permissions as _permissions\n",
            AREAS,
            "ops_db.kit.uow -> ops_db.identity.permissions",
        ),
        # Areas on one layer stay independent of each other.
        (
            "inventory/service.py",
            "from ops_db.workforce import service as _workforce\n",
            AREAS,
            "ops_db.inventory.service -> ops_db.workforce.service",
        ),
        # Any area may name any area's tables, but a table never reaches into an area's services.
        (
            "orders/models.py",
            "def _late():\n    from ops_db.billing import service\n    return service\n",
            TABLES,
            "ops_db.orders.models -> ops_db.billing.service",
        ),
    ],
)
def test_an_import_against_the_area_order_is_refused(
    ops_db_copy: Path, module: str, line: str, contract: str, refused: str
) -> None:
    path = ops_db_copy / "ops_db" / module
    path.write_text(path.read_text() + "\n\n" + line)
    result = _lint(ops_db_copy)
    assert result.returncode == 1 and f"{contract} BROKEN" in result.stdout, result.stdout + result.stderr
    assert refused in result.stdout


def test_a_new_area_must_be_given_its_place(ops_db_copy: Path) -> None:
    """The contract is exhaustive: a package under ops_db that no layer names fails until it is placed."""
    (ops_db_copy / "ops_db" / "payables").mkdir()
    (ops_db_copy / "ops_db" / "payables" / "__init__.py").write_text('"""Bills the company owes."""\n')
    result = _lint(ops_db_copy)
    assert result.returncode != 0 and "ops_db.payables" in result.stdout + result.stderr
