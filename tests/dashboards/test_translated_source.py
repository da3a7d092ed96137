"""Every word a page puts on the screen goes through the catalog: a static check of the UI's source.

A label, title, caption or message passed to Streamlit as a plain string (or an f-string with words in it)
would stay English in every language; it must be ``_("…")`` (with ``.format(...)`` for the variable parts)
or come from data. The check reads the source with ``ast`` and names each offending line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "dashboards"
PAGES = sorted([*ROOT.glob("app_pages/*.py"), *ROOT.glob("admin_tabs/*.py")])  # admin_tabs: the Admin page's tabs
SOURCES = sorted([*PAGES, ROOT / "widgets.py", ROOT / "session.py", ROOT / "app.py"])
# Streamlit calls whose first argument (and these keywords) people read.
TEXT_CALLS = {
    "title",
    "header",
    "subheader",
    "caption",
    "markdown",
    "write",
    "text",
    "info",
    "warning",
    "error",
    "success",
    "toast",
    "button",
    "download_button",
    "link_button",
    "form_submit_button",
    "text_input",
    "text_area",
    "number_input",
    "selectbox",
    "multiselect",
    "radio",
    "checkbox",
    "toggle",
    "slider",
    "select_slider",
    "date_input",
    "time_input",
    "file_uploader",
    "color_picker",
    "metric",
    "expander",
    "spinner",
    "page_link",
    "chat_input",
    "popover",
    "status",
    "exception",
}
TEXT_KEYWORDS = {"label", "placeholder", "help", "body", "text", "value_if_empty"}
LIST_CALLS = {"tabs"}  # their first argument is a list of labels
# Language has lower-case words; codes, formats and examples ("CSV", "VAT20", "RO-2026-000123") do not.
WORDS = re.compile(r"[a-z]{2,}")


def _literal_words(node: ast.AST) -> str | None:
    """The words of a plain string or f-string argument, or None when it is computed (a call, a name)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(
            part.value for part in node.values if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal_words(node.left), _literal_words(node.right)
        return " ".join(w for w in (left, right) if w) or None
    else:
        return None
    stripped = re.sub(r":[a-z_]+(-badge)?\[|:material/[a-z_]+:|`[^`]*`|\{[^}]*\}", " ", text)
    if not WORDS.search(stripped):
        return None
    return text


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        candidates: list[ast.expr] = []
        if name in TEXT_CALLS:
            candidates += node.args[:1] if name != "page_link" else []  # page_link's first argument is a path
            if name == "metric":  # metric(label, value, delta): the value and delta are shown as well
                candidates += node.args[1:3]
            candidates += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        elif name in LIST_CALLS and node.args and isinstance(node.args[0], ast.List | ast.Tuple):
            candidates += node.args[0].elts
        for candidate in candidates:
            words = _literal_words(candidate)
            if words is not None:
                found.append(f"{path.relative_to(ROOT.parent)}:{candidate.lineno}: {words!r}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_page_shows_a_literal_english_text(path: Path) -> None:
    assert _offences(path) == []


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_draw_read_only_tables_through_the_translating_table(path: Path) -> None:
    """``st.dataframe`` would head columns with their data names ("order_number") in every language."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    raw = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "dataframe"
    ]
    assert raw == [], f"{path.name}: use dashboards.widgets.table() on lines {raw}"


def test_the_check_catches_a_plain_label(tmp_path: Path) -> None:
    sample = tmp_path / "page.py"
    sample.write_text(
        'import streamlit as st\nst.button("Save")\nst.caption(f"{n} rows shown")\n'
        'st.button(_("Save"))\nst.tabs(["Stock", _("Parts")])\nst.markdown("**" + _("X") + "**")\n'
    )
    global ROOT
    keep, ROOT = ROOT, tmp_path
    try:
        assert [line.split(": ", 1)[1] for line in _offences(sample)] == ["'Save'", "' rows shown'", "'Stock'"]
    finally:
        ROOT = keep
