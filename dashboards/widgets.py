"""Small building blocks every page shares: running a service call the same way everywhere, and tables and
document buttons in the reader's language."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, Generic, TypeVar
from uuid import uuid4
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from dashboards.columns import VALUE_COLUMNS
from dashboards.i18n import _, column_label, company_zone, error_text, stage_words
from ops_db.i18n import VALUE_LABELS
from ops_db.kit.db import Database
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.idempotency import AlreadyDone, KeyReused, fingerprint, submitting
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.service import FileIn

PHOTO_TYPES = ["jpg", "jpeg", "png", "webp", "heic"]

# Markdown that user text could start anywhere: links and images ([), raw HTML and autolinks (<), code, emphasis,
# strikethrough, tables, maths ($), Streamlit's directives and icons (:red[…], :material/…:).
_MARKDOWN_ANYWHERE = re.compile(r"([\\`*_\[\]<>|~$:#])")
# Block markup that only counts at the start of a line: headings, quotes, lists, setext rules.
_LINE_START_MARK = re.compile(r"^([ \t]*)([-+=])", re.MULTILINE)
_LINE_START_NUMBER = re.compile(r"^([ \t]*\d+)([.)])", re.MULTILINE)
# Bare addresses that GFM links by themselves, escaped or not (it reads the text, not the source): break them
# with an invisible word joiner, as Streamlit's icon shortcodes (:material/lock:).
_AUTOLINKS = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?<=:)(?=[a-z_]+/)")
WORD_JOINER = "\u2060"


def plain(value: object) -> str:
    """``value`` (a customer's name, a note, a message) as markdown that Streamlit shows as exactly that text:
    never a link, an image, a heading, bold or an icon. Use it wherever user text goes into ``st.markdown``,
    ``st.write``, ``st.caption``, an alert, a toast, a title or a widget's label; never in a selectbox option or
    a table cell, which are not markdown (the backslashes would show)."""
    text = _AUTOLINKS.sub(WORD_JOINER, "" if value is None else str(value))
    text = _MARKDOWN_ANYWHERE.sub(r"\\\1", text)
    text = _LINE_START_MARK.sub(r"\1\\\2", text)
    return _LINE_START_NUMBER.sub(r"\1\\\2", text)


def inline_code(value: object) -> str:
    """``value`` as inline code in markdown (a tracking code, a key's last digits), whatever backticks it holds:
    the fence is one backtick longer than the longest run inside, and nothing in a code span is markup."""
    text = ("" if value is None else str(value)).replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


Made = TypeVar("Made")
# Nothing happens twice (ops_db.kit.idempotency): each form has a submission key, made when the form is first shown
# and kept until a submission of it succeeds. The service claims it in the write's own transaction, so a second
# click that reruns the page while the first is still being carried out finds the first one done.
SUBMISSION_KEYS = "submission_keys"  # form name -> the key of the form as shown now
SUBMISSION_RESULTS = "submission_results"  # key -> what its action returned, for a repeat to show again
SUBMISSION_DONE = "submission_done"  # form name -> the sentence that says what the last submission did
SUBMISSION_EMPTY = "submission_empty"  # form name -> {input key: its empty value}, set before it is drawn again
SUBMISSION_CLICKS = "submission_clicks"  # form name -> the key of the form as shown when its button was clicked
SUBMISSION_LAST = "submission_last"  # the form whose button was clicked in this run (for run_action)
# form -> (what its last success did, when): a click the browser sent on the form as it was before that success
# can reach the server only after the form was drawn again with its new key (Streamlit binds a click's callback
# to the button as last drawn, not as the browser showed it), carrying the old values. The same action on the same
# form within this window is that click, and is not done again.
SUBMISSION_LAST_DONE = "_submission_last_done"
REPEAT_WINDOW_SECONDS = 30.0


@dataclass(frozen=True)
class Done(Generic[Made]):
    """What a submission's action returned (the first time's, when this was a repeat)."""

    value: Made


def submission_key(form: str) -> str:
    """The submission key of ``form`` as it is shown now (made the first time it is asked for)."""
    keys: dict[str, str] = st.session_state.setdefault(SUBMISSION_KEYS, {})
    return keys.setdefault(form, str(uuid4()))


def submission_form(form: str, **kwargs: Any) -> Any:
    """``st.form`` for a form with a submission key (use :func:`submit_button` inside). After a success the inputs
    :func:`finish` was told to empty are emptied here, before they are drawn, so the browser shows them empty too
    (removing a widget's value from the session is not enough: the browser keeps what it shows)."""
    empty_inputs(form)
    return st.form(form, **kwargs)


def empty_inputs(form: str) -> None:
    """Empty the inputs :func:`finish` was told to empty after the last success of ``form``; called before they are
    drawn (:func:`submission_form` calls it; a page calls it earlier for inputs of the form drawn above it)."""
    for name, value in st.session_state.get(SUBMISSION_EMPTY, {}).pop(form, {}).items():
        st.session_state[name] = value


def _clicked(form: str, key: str) -> None:
    """A form's submit button was clicked on the form shown with ``key``."""
    st.session_state.setdefault(SUBMISSION_CLICKS, {})[form] = key
    st.session_state[SUBMISSION_LAST] = form


def action_button(label: str, *, key: str, container: Any = None, **kwargs: Any) -> bool:
    """``st.button`` (in ``container`` if given) for an action carried out with :func:`run_action`: True for a
    click on the button as it is shown now, False for a second click the browser sent before it showed the
    result of the first (which must not act again). :func:`run_action` then uses this button's submission key."""
    form = f"button:{key}"
    place = container if container is not None else st
    clicked = place.button(  # markdown: ours (checked at every call)
        label, key=key, on_click=_clicked, args=(form, submission_key(form)), **kwargs
    )
    return _current_click(form, bool(clicked))


def _current_click(form: str, clicked: bool) -> bool:
    """Whether ``form`` was clicked as it is shown now (an old click is forgotten, so it names no submission)."""
    on_key = st.session_state.get(SUBMISSION_CLICKS, {}).pop(form, None)
    current = clicked and on_key == submission_key(form)
    if not current and st.session_state.get(SUBMISSION_LAST) == form:
        st.session_state.pop(SUBMISSION_LAST)
    return current


def submit_button(form: str, label: str, **kwargs: Any) -> bool:
    """The submit button of ``form``: True for a click on the form as it is shown now, False for a click on it as
    it was before the last success (a second click the browser sent before it showed the emptied form: its
    callback still carries the old key), which must not act again."""
    clicked = st.form_submit_button(  # markdown: ours (checked at every call)
        label, on_click=_clicked, args=(form, submission_key(form)), **kwargs
    )
    return _current_click(form, bool(clicked))


def _action_fingerprint(action: Callable[..., Any]) -> str:
    """What an action does, as a digest: its function and the plain values it was given (ids, texts, amounts),
    never the unit of work or engine it runs in. The same form with other values is not a repeat."""
    parts: list[Any] = []
    target: Any = action
    while isinstance(target, partial):
        parts += [_plain_value(a) for a in target.args] + [(k, _plain_value(v)) for k, v in target.keywords.items()]
        target = target.func
    parts.append(getattr(target, "__qualname__", type(target).__name__))
    if (code := getattr(target, "__code__", None)) is not None:  # a lambda's literals (clock in: True, out: False)
        parts.append([code.co_code.hex(), *(_plain_value(c) for c in code.co_consts)])
    for cell in getattr(target, "__closure__", None) or ():
        try:
            parts.append(_plain_value(cell.cell_contents))
        except ValueError:  # an empty cell
            parts.append(None)
    return fingerprint({"action": parts})


def _plain_value(value: Any) -> Any:
    """A value as it counts for a fingerprint: plain data as it is, shapes (pydantic, dataclasses) by their
    fields, bytes by their digest, anything else (a unit of work, an engine) only by its kind."""
    if value is None or isinstance(value, bool | int | str | Decimal):
        return value
    if isinstance(value, list | tuple):
        return [_plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_value(v) for k, v in value.items()}
    if hasattr(value, "model_dump"):
        return _plain_value(value.model_dump())
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain_value(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if isinstance(value, date):
        return value.isoformat()
    return type(value).__name__


def submit(form: str, action: Callable[[], Made], *, busy: str | None = None) -> Done[Made] | None:
    """Carry out a submission of ``form`` once, with a spinner: returns what ``action`` returned, or None after
    showing the service's one sentence. A repeat of a submission already carried out (a double click) acts no
    more and returns the first one's result."""
    st.session_state.pop(SUBMISSION_LAST, None)  # this run's click is being carried out
    results: dict[str, Any] = st.session_state.setdefault(SUBMISSION_RESULTS, {})
    digest = _action_fingerprint(action)
    if _repeat_of_last_success(form, digest, results):
        st.info(_("That was already done; it was not done a second time."))
        return None
    for _attempt in range(2):
        key = submission_key(form)
        try:
            with st.spinner(busy or _("Saving…")), submitting(key, form, digest):  # markdown: ours (checked at calls)
                # Kept before the next Streamlit call: a second click interrupts this run at that call, and the
                # rerun it starts (same key) finds the first one's result here.
                results[key] = Done(action())
                st.session_state.setdefault(SUBMISSION_LAST_DONE, {})[form] = (digest, time.monotonic())
        except AlreadyDone:
            if key not in results:  # done by a run of this session that left no result: say so, start afresh
                finish(form, _("That was already done; it was not done a second time."))
        except KeyReused:
            st.session_state[SUBMISSION_KEYS].pop(form, None)  # an old key left by an interrupted run: a new one
            continue
        except RepairOpsError as error:
            st.error(error_text(error))
            return None
        outcome: Done[Made] = results[key]
        return outcome
    return None


def _repeat_of_last_success(form: str, digest: str, results: dict[str, Any]) -> bool:
    """Whether this submission is a stale click repeating the form's last success: the same action with the same
    values, under a new key, moments after it (see SUBMISSION_LAST_DONE)."""
    last = st.session_state.get(SUBMISSION_LAST_DONE, {}).get(form)
    if last is None or submission_key(form) in results:
        return False
    done_digest, done_at = last
    return bool(done_digest == digest and time.monotonic() - done_at < REPEAT_WINDOW_SECONDS)


def finish(form: str, done: str, *reset: str, empty: dict[str, Any] | None = None) -> None:
    """After a submission of ``form`` succeeded: forget the ``reset`` inputs, set the ``empty`` ones (input key:
    empty value) to their empty value when the form is drawn again, give the form a new key, redraw the page and
    say ``done`` where the page calls :func:`show_done` (beside the form), and in a toast."""
    key = st.session_state.get(SUBMISSION_KEYS, {}).pop(form, None)
    st.session_state.get(SUBMISSION_RESULTS, {}).pop(key, None)
    for name in reset:
        st.session_state.pop(name, None)
    if empty:
        st.session_state.setdefault(SUBMISSION_EMPTY, {})[form] = dict(empty)
    st.session_state.setdefault(SUBMISSION_DONE, {})[form] = done
    st.toast(done)  # markdown: ours (checked at every call)
    st.rerun()


def forget_submission(form: str) -> None:
    """After a submission of ``form`` succeeded, where the page says so itself: the next one gets a new key."""
    key = st.session_state.get(SUBMISSION_KEYS, {}).pop(form, None)
    st.session_state.get(SUBMISSION_RESULTS, {}).pop(key, None)


def show_done(form: str) -> None:
    """Where the sentence of :func:`finish` appears, once: beside the form, so it is in view after the click."""
    if done := st.session_state.get(SUBMISSION_DONE, {}).pop(form, None):
        st.success(done)  # markdown: ours (finish's callers are checked)


def run_action(
    action: Callable[[], Any],
    done: str,
    *,
    busy: str | None = None,
    form: str | None = None,
    reset: tuple[str, ...] = (),
    empty: dict[str, Any] | None = None,
) -> bool:
    """Run one service call with a spinner, once per submission (see :func:`submit`; ``form`` names it: by default
    the form or :func:`action_button` just clicked, else the sentence ``done``). On failure show the service's one
    sentence and change nothing more; on success forget the ``reset`` inputs, empty the ``empty`` ones (see
    :func:`finish`), show ``done`` and redraw the page with the new state."""
    form = form or st.session_state.pop(SUBMISSION_LAST, None) or f"action:{done}"
    if submit(form, action, busy=busy) is None:
        return False
    finish(form, done, *reset, empty=empty)  # markdown: ours (checked at every call)
    return True  # not reached: st.rerun() ends this run


FLASH_KEY = "flash"


def done_and_rerun(message: str, *reset: str) -> None:
    """Rerun so every tab shows the change, say ``message`` at the top (see :func:`show_flash`), and empty
    the named inputs."""
    for key in reset:
        st.session_state.pop(key, None)
    st.session_state[FLASH_KEY] = message
    st.rerun()


def show_flash() -> None:
    """Where :func:`done_and_rerun`'s message appears. The slot is drawn on every run, so the tabs below keep
    their place (and the open tab) whether or not there is a message."""
    slot = st.empty()
    if message := st.session_state.pop(FLASH_KEY, None):
        slot.success(message)  # markdown: ours (done_and_rerun's callers are checked)


def typed_amount(raw: str) -> str | None:
    """Money as typed (text, never a float), for the service to check: "12,50" and "12.50" are the same,
    an empty field is None."""
    value = raw.strip().replace(",", ".")
    return value or None


def parse_decimal(value: str, refusal: str) -> Decimal | None:
    """A typed amount ("12,50" and "12.50" both work), or None after showing ``refusal`` (the one sentence
    that says which field must be a number, already in the reader's language)."""
    try:
        amount = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        st.error(refusal)  # markdown: ours (checked at every call)
        return None
    return amount


def stepper_decimal(value: float | None) -> Decimal | None:
    """A number widget's float (a quantity) as a Decimal for the services (None stays None for them to refuse).

    The browser's stepper adds float noise (0.1 + 0.2 = 0.30000000000000004), which would trip the services'
    "at most N decimals" rule; rounding at 9 places drops the noise but keeps a real third or fourth decimal,
    so such input is still refused rather than silently rounded. Money never comes from a stepper: see
    ``typed_amount``.
    """
    return None if value is None else Decimal(str(round(value, 9)))


def as_files(uploads: Any) -> tuple[FileIn, ...]:
    """What ``st.file_uploader`` returned (nothing, one file or a list) as the services' ``FileIn``s."""
    if uploads is None:
        return ()
    items = uploads if isinstance(uploads, list) else [uploads]
    return tuple(FileIn(u.name, u.type or "application/octet-stream", u.getvalue()) for u in items)


def local_times(frame: pd.DataFrame, zone: ZoneInfo) -> pd.DataFrame:
    """Every timestamp column as the company's wall-clock time ("2026-11-21 09:00"), not UTC with an offset."""
    shown = frame.copy()
    for column in shown.select_dtypes(include=["datetimetz"]).columns:
        shown[column] = shown[column].dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M")
    return shown


def shown_values(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as a table shows it: stored codes in the ``VALUE_COLUMNS`` ("awaiting_parts") as words in the
    reader's language, instants as the company's wall clock (never UTC with an offset); every other cell as it is."""
    shown = local_times(frame, company_zone())
    for column in shown.columns:
        if column in VALUE_COLUMNS and (shown[column].dtype == object or pd.api.types.is_string_dtype(shown[column])):
            # Each distinct code translated once (a table repeats a few codes thousands of times).
            codes = shown[column].dropna().unique()
            words = {v: stage_words(v) for v in codes if isinstance(v, str) and v in VALUE_LABELS}
            shown[column] = shown[column].map(lambda v, words=words: words.get(v, v) if isinstance(v, str) else v)
    return shown


def labelled_config(frame: pd.DataFrame, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """``column_config`` that heads every column in the reader's language; a column's own config (a number
    format, a checkbox) is kept, and its label is the translated heading unless the caller gave one."""
    labelled: dict[str, Any] = {str(c): column_label(str(c)) for c in frame.columns}
    for column, own in (config or {}).items():
        if isinstance(own, dict):
            labelled[column] = {**own, "label": own.get("label") or column_label(column)}
        else:
            labelled[column] = own
    return labelled


def table(
    data: pd.DataFrame | list[dict[str, Any]], *, column_config: dict[str, Any] | None = None, **kwargs: Any
) -> None:
    """A read-only table in the reader's language (headings and stored codes); the data keeps its own
    column names, so downloads and tests read ``order_number``, not a translated heading."""
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    kwargs.setdefault("hide_index", True)
    st.dataframe(shown_values(frame), column_config=labelled_config(frame, column_config), **kwargs)


def document_buttons(
    engine: Database,
    actor: Actor,
    kind: str,
    record_id: int,
    label: str,
    *,
    key: str,
    locale: str | None = None,
    formats: tuple[str, ...] = ("pdf", "docx"),
    send: bool = False,
) -> None:
    """Download buttons for one document (the file is rendered only when someone clicks) and, with ``send``,
    one that emails the PDF to whom it is for (in their language unless ``locale`` is chosen)."""
    from ops_db.documents.render import MEDIA_TYPES, render
    from ops_db.documents.send import send_document

    # Reading a document is not sending it (an auditor reads all); the matrix says who sends what.
    send = send and actor.can("inventory.purchase" if kind == "purchase_order" else "documents.send")
    columns = st.columns(len(formats) + (1 if send else 0))
    for column, fmt in zip(columns, formats, strict=False):
        column.download_button(
            f"{label} · {fmt.upper()}",  # markdown: ours (label checked at every call)
            partial(render, UnitOfWork(engine, actor), kind, record_id, fmt, locale),
            f"{kind.replace('_', '-')}-{record_id}.{fmt}",
            MEDIA_TYPES[fmt],
            key=f"{key}_{fmt}",
            icon=":material/download:",
        )
    sent = send and action_button(
        _("Send by email"), key=f"{key}_send", container=columns[-1], icon=":material/forward_to_inbox:"
    )
    if sent:
        run_action(
            partial(send_document, UnitOfWork(engine, actor), kind, record_id, locale=locale),
            _("{document} is on its way by email.").format(document=label),  # markdown: ours (as above)
            busy=_("Sending…"),
        )


def document_picker(
    engine: Database, actor: Actor, kind: str, choices: dict[int, str], label: str, *, key: str
) -> None:
    """Choose one listed record and get its document as PDF, DOCX or XLSX ("Print or send: Invoice")."""
    picked = st.selectbox(
        _("Print or send: {document}").format(document=label),  # markdown: ours (checked at calls)
        list(choices),
        index=None,
        key=f"print_{key}",
        format_func=lambda i: choices.get(i, str(i)),
        placeholder=_("Choose one from the list"),
    )
    if picked in choices:
        document_buttons(
            engine,
            actor,
            kind,
            int(picked),
            label,
            key=f"{key}_doc",  # markdown: ours (as above)
            formats=("pdf", "docx", "xlsx"),
            send=True,
        )


def chosen_id(key: str) -> int | None:
    """The id a selectbox of ids held on the last run, read before the widget is drawn (None if none).

    At that point the value comes from the browser; once the chosen option has left the list (the order was
    just invoiced, the purchase order received) the browser sends the old label instead of an id, which must
    not reach SQL as a key.
    """
    value = st.session_state.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
