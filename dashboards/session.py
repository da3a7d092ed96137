"""Shared chrome: the database engine, who is signed in, and which pages that person gets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: where it sits in the navigation and who gets it."""

    path: str
    title: str
    icon: str
    section: str
    shown_to: Callable[[Actor], bool]


def _staff(permission: str) -> Callable[[Actor], bool]:
    """Staff with this permission (customers never; technicians only where they also need it)."""
    return lambda actor: not actor.is_customer and actor.can(permission)


def _office(permission: str) -> Callable[[Actor], bool]:
    """Office staff with this permission: technicians read orders and stock too, but these pages would show
    their colleagues' pay, every van's stock and the company's numbers."""
    return lambda actor: not actor.is_customer and not actor.is_technician_only and actor.can(permission)


def _any_analytics(actor: Actor) -> bool:
    from dashboards.data.analytics import AREA_PERMISSION

    return any(_office(p)(actor) for p in AREA_PERMISSION.values())


PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/home.py", "Home", ":material/home:", "Work", lambda actor: not actor.is_customer),
    PageSpec("app_pages/intake.py", "Intake", ":material/add_box:", "Work", _staff("orders.create")),
    PageSpec("app_pages/orders_board.py", "Orders board", ":material/view_kanban:", "Work", _staff("orders.read")),
    PageSpec("app_pages/order_detail.py", "Order", ":material/description:", "Work", _staff("orders.read")),
    PageSpec("app_pages/dispatch.py", "Dispatch", ":material/route:", "Work", _office("plans.read")),
    PageSpec("app_pages/my_day.py", "My day", ":material/today:", "Work",
             lambda actor: actor.technician_id is not None and actor.can("workforce.clock")),
    PageSpec("app_pages/inventory.py", "Inventory", ":material/inventory_2:", "Stock and money",
             _office("inventory.read")),
    PageSpec("app_pages/billing.py", "Billing", ":material/payments:", "Stock and money", _office("billing.read")),
    PageSpec("app_pages/analytics.py", "Analytics", ":material/monitoring:", "Insight", _any_analytics),
    PageSpec("app_pages/admin.py", "Admin", ":material/admin_panel_settings:", "Admin", _office("identity.read")),
    PageSpec("app_pages/portal.py", "My repairs", ":material/devices:", "Customers", lambda actor: actor.is_customer),
    PageSpec("app_pages/request.py", "Request a repair", ":material/build:", "Customers",
             lambda actor: actor.can("requests.submit")),
    PageSpec("app_pages/track.py", "Track a repair", ":material/search:", "Customers", lambda actor: True),
)
PUBLIC_PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/sign_in.py", "Sign in", ":material/login:", "RepairOps", lambda actor: True),
    PageSpec("app_pages/request.py", "Request a repair", ":material/build:", "RepairOps", lambda actor: True),
    PageSpec("app_pages/track.py", "Track a repair", ":material/search:", "RepairOps", lambda actor: True),
)


def visible_pages(actor: Actor | None) -> list[PageSpec]:
    """The pages this person gets, in navigation order (the public ones when signed out)."""
    if actor is None:
        return list(PUBLIC_PAGES)
    return [spec for spec in PAGES if spec.shown_to(actor)]


def pages_for(actor: Actor | None) -> dict[str, list[st.Page]]:
    """The navigation of this person, grouped by section; the first page is the default."""
    sections: dict[str, list[st.Page]] = {}
    for index, spec in enumerate(visible_pages(actor)):
        page = st.Page(spec.path, title=spec.title, icon=spec.icon, default=index == 0)
        sections.setdefault(spec.section, []).append(page)
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
