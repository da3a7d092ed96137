"""Errors say one sentence a person can read in their language: each is raised with a literal English template
and named fields (``Conflict("Order {number} is already invoiced.", number=...)``), never an f-string, so the
catalogs can hold the template and a screen in another language can show it translated."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ops_db import i18n
from ops_db.kit.errors import Conflict, NotFound, ValidationError

ERRORS = set(i18n.ERROR_CLASSES)
ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    p
    for folder in ("ops_db", "api")
    for p in (ROOT / folder).rglob("*.py")
    if not {"migrations", "demo"} & set(p.parts)
)


def _built_sentences(path: Path) -> list[str]:
    """Error constructions whose sentence is built in place (f-string, concatenation, ``.format``, ``%``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name in ERRORS and isinstance(node.args[0], ast.JoinedStr | ast.BinOp | ast.Call):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _unmarked_constants(path: Path) -> list[str]:
    """Errors raised with a module constant (``AuthenticationFailed(NOT_CORRECT)``) whose sentence is not marked
    ``N_("…")`` where it is defined: the catalogs would never extract it, and it would stay English."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    marked = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
        and isinstance(node.value, ast.Call)
        and getattr(node.value.func, "id", "") == "N_"
    }
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name)):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        constant = node.args[0].id
        if name in ERRORS and constant.isupper() and constant not in marked:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {constant}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_error_is_a_template_with_named_fields(path: Path) -> None:
    assert _built_sentences(path) == []
    assert _unmarked_constants(path) == []


def test_an_error_reads_in_english_and_in_another_language() -> None:
    error = Conflict("Order {number} is {stage}; its lines can no longer change.", number="RO-7", stage="closed")
    assert error.message == str(error) == "Order RO-7 is closed; its lines can no longer change."
    russian = {
        "Order {number} is {stage}; its lines can no longer change.": (
            "Заказ {number}: {stage}, строки больше не меняются."
        ),
        "closed": "закрыт",
    }
    assert error.in_language(lambda m: russian.get(m, m)) == "Заказ RO-7: закрыт, строки больше не меняются."


def test_a_field_that_is_an_error_is_translated_too_and_braces_without_fields_stay() -> None:
    inner = NotFound("Part {part} does not exist.", part=12)
    outer = ValidationError("{number}: {problem}", number="RO-1", problem=inner)
    assert outer.message == "RO-1: Part 12 does not exist."
    pt = {"Part {part} does not exist.": "A peça {part} não existe."}
    assert outer.in_language(lambda m: pt.get(m, m)) == "RO-1: A peça 12 não existe."
    assert ValidationError("Use {address} in the URL.").message == "Use {address} in the URL."


def test_every_error_class_is_one_the_catalogs_extract() -> None:
    """A new error class must join ``ERROR_CLASSES``, or its sentences would never reach the catalogs."""
    bases, found = set(ERRORS), True
    while found:  # subclasses of subclasses too
        found = False
        for path in SOURCES:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in bases
                    and any(getattr(b, "id", getattr(b, "attr", None)) in bases for b in node.bases)
                ):
                    bases.add(node.name)
                    found = True
    # _ColumnError (imports) takes the column first; its sentences are marked with N_ where they are written. The
    # idempotency refusals (kit.idempotency) take no sentence: each says its one, marked with N_ in its __init__.
    assert bases - ERRORS <= {"_ColumnError", "AlreadyDone", "KeyReused"}, sorted(bases - ERRORS)
