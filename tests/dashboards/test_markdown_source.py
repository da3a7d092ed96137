"""Issue 17 §5: user text never reaches Streamlit's markdown unescaped (a source check over every page).

Streamlit draws the text of ``st.markdown``, ``st.write``, ``st.caption``, alerts, toasts, titles, and every
widget's label and help as markdown, so a customer named ``![x](http://x/y.png)`` would become an image. This
test reads the dashboards' source and refuses any such call whose text is not built only from our own words:
string literals, catalog lookups (``_``), numbers and dates in words, and values passed through
``dashboards.widgets.plain``. A value that is ours but cannot be proven so here (a label from a constant table)
carries the comment ``# markdown: ours`` on the line of the call.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
PRAGMA = "# markdown: ours"

# Calls whose first argument (or ``label=``/``body=``) Streamlit renders as markdown.
MARKDOWN_TEXT = {
    "markdown",
    "write",
    "caption",
    "info",
    "success",
    "warning",
    "error",
    "toast",
    "title",
    "header",
    "subheader",
    "expander",
    "popover",
    "metric",
    "button",
    "form_submit_button",
    "download_button",
    "page_link",
    "checkbox",
    "toggle",
    "radio",
    "text_input",
    "text_area",
    "number_input",
    "selectbox",
    "multiselect",
    "date_input",
    "time_input",
    "file_uploader",
    "color_picker",
    "slider",
    "select_slider",
    "pills",
    "segmented_control",
    "feedback",
    "spinner",
    "tabs",
}
TEXT_KEYWORDS = ("body", "label", "help", "caption", "done", "busy", "working", "refusal")
# Our own helpers that hand a text on to one of those: which positional argument it is.
OUR_SINKS = {
    "run_action": 1,
    "done_and_rerun": 0,
    "finish": 1,
    "action_button": 0,
    "submit_button": 1,
    "parse_decimal": 1,
    "document_buttons": 4,
    "document_picker": 4,
    "attempt": 1,
    "read_only": 0,
    "_undelivered": 2,
}
# Functions whose result holds only our own words, numbers and dates, or escaped text.
SAFE_FUNCTIONS = {
    "_",
    "N_",
    "plain",
    "inline_code",
    "error_text",
    "number_text",
    "day_text",
    "money_text",
    "stage_words",
    "column_label",
    "moment",
    "_day",
    "_heading",
    "event_words",
    "source_words",
    "len",
    "int",
    "float",
    "round",
    "abs",
    "min",
    "max",
    "sum",
}
SAFE_METHODS = {"format", "join", "upper", "lower", "strip", "capitalize", "title"}


def _safe(node: ast.expr) -> bool:
    """Whether ``node`` can only produce our own text (see the module docstring)."""
    match node:
        case ast.Constant():
            return True
        case ast.JoinedStr(values=values):
            return all(_safe(v) for v in values)
        case ast.FormattedValue(value=value):
            return _safe(value)
        case (
            ast.BinOp(left=ast.Constant(value=int()), op=ast.Add() | ast.Sub() | ast.Mult())
            | ast.BinOp(right=ast.Constant(value=int()), op=ast.Add() | ast.Sub() | ast.Mult())
        ):
            return True  # arithmetic with a number is a number (text + 1 would not run)
        case ast.BinOp(left=left, right=right):
            return _safe(left) and _safe(right)
        case ast.IfExp(body=body, orelse=orelse):
            return _safe(body) and _safe(orelse)
        case ast.BoolOp(values=values):
            return all(_safe(v) for v in values)
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return all(_safe(e) for e in elts)
        case ast.ListComp(elt=elt) | ast.GeneratorExp(elt=elt):
            return _safe(elt)
        case ast.Name(id=name) | ast.Subscript(value=ast.Name(id=name)):
            return name.isupper()  # module constants (and what they hold) are our own words
        case ast.Call(func=ast.Name(id=name)):
            return name in SAFE_FUNCTIONS
        case ast.Call(func=ast.Attribute(value=receiver, attr=method), args=args, keywords=keywords):
            if method == "format":
                return _safe(receiver) and all(_safe(a) for a in args) and all(_safe(k.value) for k in keywords)
            if method == "join":
                return _safe(receiver) and all(_safe(a) for a in args)
            if method in SAFE_METHODS:
                return _safe(receiver)
            return False
    return False


def _markdown_texts(call: ast.Call) -> list[ast.expr]:
    """The arguments of ``call`` that Streamlit shows as markdown."""
    func = call.func
    texts: list[ast.expr] = [k.value for k in call.keywords if k.arg in TEXT_KEYWORDS]
    if isinstance(func, ast.Name) and func.id in OUR_SINKS:
        position = OUR_SINKS[func.id]
        return texts + call.args[position : position + 1]
    if not isinstance(func, ast.Attribute):
        return []
    if func.attr in MARKDOWN_TEXT and call.args:  # st.chat_message(who).write(text) is "write"
        texts.append(call.args[0])
    return texts


# A placeholder written inside a code span: markdown escapes do not work there, so ``plain`` would show its
# backslashes (a tracking code ``a_b`` read ``a\\_b`` and could not be typed back); use ``inline_code`` instead.
_PLACEHOLDER_IN_CODE = re.compile(r"`[^`]*\{\w*\}[^`]*`")


def _template(call: ast.Call) -> str | None:
    """The text of ``"…".format(…)`` or ``_("…").format(…)``, if ``call`` is one."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "format"):
        return None
    receiver = func.value
    if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id in ("_", "N_"):
        receiver = receiver.args[0] if receiver.args else receiver
    return receiver.value if isinstance(receiver, ast.Constant) and isinstance(receiver.value, str) else None


def _offences(path: Path) -> list[str]:
    return _offences_in(path.read_text(), str(path.relative_to(DASHBOARDS.parent)))


def _offences_in(source: str, name: str) -> list[str]:
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        template = _template(node)
        if template is not None and _PLACEHOLDER_IN_CODE.search(template):
            found.append(f"{name}:{node.lineno}: a {{field}} inside `code`; pass the value through inline_code instead")
        for text in _markdown_texts(node):
            span = lines[node.lineno - 1 : (node.end_lineno or node.lineno)]
            if not _safe(text) and not any(PRAGMA in line for line in span):
                found.append(f"{name}:{node.lineno}: {ast.unparse(text)[:100]}")
    return found


def test_no_page_puts_user_text_into_markdown_unescaped() -> None:
    offences = [o for path in sorted(DASHBOARDS.rglob("*.py")) for o in _offences(path)]
    assert offences == [], "wrap user text in widgets.plain(...):\n" + "\n".join(offences)


@pytest.mark.parametrize(
    "source",
    [
        "st.markdown(customer.name)",
        "st.caption(f'{when} · {note[\"body\"]}')",
        "st.success(_('Hello {name}').format(name=row.name))",
        "st.chat_message('user').write(message['body'])",
        "st.expander(title)",
        "st.tabs([c.name for c in cards])",
        "st.button(label=order['number'])",
    ],
)
def test_the_source_check_catches_user_text(source: str) -> None:
    call = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and _markdown_texts(n))
    assert not all(_safe(t) for t in _markdown_texts(call))


def test_the_source_check_catches_a_field_inside_a_code_span() -> None:
    source = "st.success(_('Your code is `{code}`').format(code=plain(receipt.tracking_code)))\n"
    assert any("inside `code`" in offence for offence in _offences_in(source, "probe.py"))


@pytest.mark.parametrize(
    "source",
    [
        "st.markdown(plain(customer.name))",
        "st.caption(f'{day_text(when)} · {plain(note[\"body\"])}')",
        "st.success(_('Hello {name}').format(name=plain(row.name)))",
        "st.tabs([_(a) for a in AREAS])",
    ],
)
def test_the_source_check_accepts_escaped_text(source: str) -> None:
    call = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and _markdown_texts(n))
    assert all(_safe(t) for t in _markdown_texts(call))
