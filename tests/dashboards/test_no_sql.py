"""The pages hold no SQL: every read lives in ``ops_db/<area>/queries.py`` (which checks the actor's permission
first) and every write in a service, so the UI, the API and the command line share one read and one rule.

A static check of the source: no SQL statement in any string of ``dashboards/``, and no import of a database or
warehouse driver (import-linter's contract says the same for whole packages; this names the line).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
# The statements a read or a write starts with, as SQL is written in this code base (keywords in capitals).
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|WITH \w+ AS)\b")
DRIVERS = ("sqlalchemy", "duckdb", "psycopg")


def _offences(path: Path, root: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"{path.relative_to(root)}:{node.lineno}: SQL text")
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
        if isinstance(node, ast.Import | ast.ImportFrom):  # names is empty for any other node
            found += [
                f"{path.relative_to(root)}:{node.lineno}: imports {n}" for n in names if n.split(".")[0] in DRIVERS
            ]
    return found


def test_no_page_module_holds_sql_or_imports_a_database_driver() -> None:
    offences = [o for path in sorted(DASHBOARDS.rglob("*.py")) for o in _offences(path, DASHBOARDS)]
    assert offences == []


def test_the_check_catches_sql_and_a_driver(tmp_path: Path) -> None:
    sample = tmp_path / "page.py"
    sample.write_text(
        'import duckdb\nfrom sqlalchemy import text\nq = "SELECT id FROM orders"\nlabel = "Select a technician"\n',
        encoding="utf-8",
    )
    assert _offences(sample, tmp_path) == [
        "page.py:1: imports duckdb",
        "page.py:2: imports sqlalchemy",
        "page.py:3: SQL text",
    ]
