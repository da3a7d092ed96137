"""Issue 17 §5: a customer's name, notes and messages show as the text they are, never as markdown (AppTest).

Streamlit hands the markdown source to the browser; the test reads that source from AppTest and renders it with a
CommonMark renderer (markdown-it) to prove no link or image comes out of it. The browser side (GFM autolinks,
Streamlit's own directives and icons) is covered by tests/e2e/test_markdown_in_browser.py."""

from __future__ import annotations

import uuid
from pathlib import Path

from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from dashboards.widgets import plain
from ops_db.comms.service import post_message
from ops_db.customers.schemas import CustomerIn
from ops_db.identity.service import resolve_tenant
from ops_db.kit import db
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.service import IntakeIn, add_note, register_intake
from tests.dashboards.conftest import demo_actor, signed_in

NAME = "![x](http://x/y.png) [click](http://evil)"
NOTE = "# Call me\n- at **once**: <b>http://evil.example/x</b> www.evil.example :material/lock: $x^2$"


def _rendered(source: str) -> str:
    """The HTML a CommonMark renderer makes of a markdown source."""
    html: str = MarkdownIt("commonmark").render(source)
    return html


def _order_of_a_hostile_customer(demo_db: str) -> tuple[str, str]:
    """An open order of a customer whose name, problem, note and message are markdown; (number, phone)."""
    engine = db.app_engine(demo_db)
    system = Actor.system(resolve_tenant(engine, "riverside"))
    phone = f"+1 555 {uuid.uuid4().int % 10_000_000:07d}"
    receipt = register_intake(
        UnitOfWork(engine, system), IntakeIn(customer=CustomerIn(name=NAME, phone=phone), problem_description=NOTE)
    )
    manager = demo_actor(demo_db, "manager@riverside.example")
    add_note(UnitOfWork(engine, manager), receipt.order_id, NOTE, internal=True)
    post_message(UnitOfWork(engine, manager), receipt.order_id, NAME)
    return receipt.order_number, phone


def _markdown_sources(app: AppTest) -> list[str]:
    return [str(m.value) for m in app.markdown] + [str(c.value) for c in app.caption]


def test_escaping_keeps_the_words_and_drops_the_markup() -> None:
    html = _rendered(plain(NAME) + "\n\n" + plain(NOTE))
    assert "<img" not in html and "<a " not in html and "<h1" not in html and "<li" not in html
    assert "<strong>" not in html and "<b>" not in html
    assert "![x](http:" in html and "[click](http:" in html  # the words themselves survive
    assert "<img" in _rendered(NAME)  # and the renderer does make an image of the raw name


def test_a_customer_named_like_markdown_shows_literally_on_the_board_card(ops_env: Path, demo_db: str) -> None:
    number, phone = _order_of_a_hostile_customer(demo_db)
    app = signed_in(demo_db, "frontdesk@riverside.example")
    app.switch_page("app_pages/orders_board.py").run()
    app.text_input(key="search").input(phone).run()
    assert not app.exception
    # the card: its order number is a link to the order (a page link's label), its badge and customer markdown
    cards = [source for source in _markdown_sources(app) if source.endswith(f":small[{plain(NAME)}]")]
    assert len(cards) == 1 and number not in "".join(cards)
    html = _rendered(cards[0])
    assert "<img" not in html and "<a " not in html
    assert "![x](http:" in html and "[click](http:" in html


def test_the_order_page_shows_problem_notes_and_messages_literally(ops_env: Path, demo_db: str) -> None:
    number, _ = _order_of_a_hostile_customer(demo_db)
    app = signed_in(demo_db, "manager@riverside.example")
    app.session_state["order_number"] = number
    app.switch_page("app_pages/order_detail.py").run()
    assert not app.exception
    sources = _markdown_sources(app)
    assert sources.count(plain(NOTE)) == 2  # the problem description and the note
    assert plain(NAME) in sources  # the message in the thread
    for source in sources:
        html = _rendered(source)
        assert "<img" not in html and "<a " not in html and "<h1" not in html, source
