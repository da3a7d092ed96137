"""Shared chrome: the database engine, who is signed in, and which pages that person gets."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from ops_db.kit import db
from ops_db.kit.uow import Actor
from ops_db.settings import get_settings

ACTOR_KEY = "actor"
TENANT_KEY = "tenant_slug"
DEFAULT_TENANT = "riverside"


@st.cache_resource(show_spinner="Connecting to the database…")
def engine() -> Engine:
    """The application engine (RLS applies), one per server process."""
    settings = get_settings()
    return db.app_engine(db.server_url(settings), settings.app_role)


def current_actor() -> Actor | None:
    """The signed-in person of this browser session, if any."""
    actor = st.session_state.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else None


def sign_out() -> None:
    """Forget the signed-in person."""
    st.session_state.pop(ACTOR_KEY, None)


def _page(path: str, title: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(path, title=title, icon=icon, default=default)


def pages_for(actor: Actor | None) -> dict[str, list[st.Page]]:
    """The navigation of this person: public pages when signed out, then what their permissions open."""
    if actor is None:
        return {"RepairOps": [_page("app_pages/sign_in.py", "Sign in", ":material/login:", default=True),
                              _page("app_pages/track.py", "Track a repair", ":material/search:")]}
    work = [_page("app_pages/home.py", "Home", ":material/home:", default=True)]
    if actor.can("orders.read"):
        work.append(_page("app_pages/orders_board.py", "Orders board", ":material/view_kanban:"))
    sections = {"Work": work}
    from dashboards.data.analytics import AREA_PERMISSION

    # Technicians read orders and stock too, but the marts would show their colleagues' pay and numbers.
    if not actor.is_customer and not actor.is_technician_only and any(actor.can(p) for p in AREA_PERMISSION.values()):
        sections["Insight"] = [_page("app_pages/analytics.py", "Analytics", ":material/monitoring:")]
    sections["Customers"] = [_page("app_pages/track.py", "Track a repair", ":material/search:")]
    return sections


def sidebar(actor: Actor | None) -> None:
    """Who is signed in and the way out."""
    with st.sidebar:
        if actor is None:
            st.caption("Not signed in")
            return
        st.caption(f"Signed in as **{actor.label}** · {', '.join(sorted(actor.roles)) or 'no role'}")
        if st.button("Sign out", key="sign_out"):
            sign_out()
            st.rerun()
