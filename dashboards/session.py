"""Shared chrome: the database engine, who is signed in, and which pages that person gets."""

from __future__ import annotations

import contextlib
import html
from collections.abc import Callable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import streamlit as st

from dashboards.i18n import (
    LOCALE_KEY,
    NEXT_LOCALE_KEY,
    _,
    error_text,
    language_picker,
    remember_zone,
    stage_words,
    ui_locale,
)
from dashboards.widgets import plain
from ops_db.comms.service import inbox, mark_read
from ops_db.i18n import LOCALES, N_, moment
from ops_db.identity import sessions
from ops_db.identity.queries import company_look as read_company_look
from ops_db.identity.service import AuthenticationFailed, resolve_tenant, set_language
from ops_db.kit import db
from ops_db.kit.colors import hex_color_or
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.settings import get_settings

ACTOR_KEY = "actor"
TENANT_KEY = "tenant_slug"
DEFAULT_TENANT = "riverside"


@st.cache_resource(show_spinner="Connecting to the database…")
def engine() -> db.Database:
    """The application engine (RLS applies), one per server process."""
    settings = get_settings()
    return db.app_engine(db.server_url(settings), settings.app_role)


def current_actor() -> Actor | None:
    """The signed-in person of this browser session, if any."""
    actor = st.session_state.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else None


def sign_out() -> None:
    """End this browser's session (on the server too, so it cannot act again) and forget the signed-in person."""
    actor = current_actor()
    st.session_state.pop(ACTOR_KEY, None)
    if actor is not None and actor.session_id is not None:
        # With the database out of reach this browser still forgets it; the session then ends when it expires.
        with contextlib.suppress(RepairOpsError):
            sessions.sign_out(UnitOfWork(engine(), actor))


def checked_actor() -> Actor | None:
    """The signed-in person, re-checked on every rerun with one query: when their session has ended (signed out
    elsewhere, locked, switched off, a new password, the company switched off or now requiring a second factor),
    this browser is signed out too and says why."""
    actor = current_actor()
    if actor is None:
        return None
    try:
        sessions.check_session(engine(), actor)
    except AuthenticationFailed as error:
        st.session_state.pop(ACTOR_KEY, None)
        st.warning(error_text(error))
        return None
    return actor


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
    PageSpec("app_pages/home.py", N_("Home"), ":material/home:", N_("Work"), lambda actor: not actor.is_customer),
    PageSpec("app_pages/intake.py", N_("Intake"), ":material/add_box:", N_("Work"), _staff("orders.create")),
    PageSpec(
        "app_pages/orders_board.py", N_("Orders board"), ":material/view_kanban:", N_("Work"), _staff("orders.read")
    ),
    PageSpec("app_pages/order_detail.py", N_("Order"), ":material/description:", N_("Work"), _staff("orders.read")),
    PageSpec("app_pages/record.py", N_("Customers"), ":material/group:", N_("Work"), _office("customers.read")),
    PageSpec("app_pages/dispatch.py", N_("Dispatch"), ":material/route:", N_("Work"), _office("plans.read")),
    PageSpec(
        "app_pages/my_day.py",
        N_("My day"),
        ":material/today:",
        N_("Work"),
        lambda actor: actor.technician_id is not None and actor.can("workforce.clock"),
    ),
    PageSpec(
        "app_pages/inventory.py",
        N_("Inventory"),
        ":material/inventory_2:",
        N_("Stock and money"),
        _office("inventory.read"),
    ),
    PageSpec(
        "app_pages/billing.py", N_("Billing"), ":material/payments:", N_("Stock and money"), _office("billing.read")
    ),
    PageSpec("app_pages/analytics.py", N_("Analytics"), ":material/monitoring:", N_("Insight"), _any_analytics),
    PageSpec(
        "app_pages/admin.py", N_("Admin"), ":material/admin_panel_settings:", N_("Admin"), _office("identity.read")
    ),
    PageSpec(
        "app_pages/portal.py", N_("My repairs"), ":material/devices:", N_("Customers"), lambda actor: actor.is_customer
    ),
    PageSpec(
        "app_pages/request.py",
        N_("Request a repair"),
        ":material/build:",
        N_("Customers"),
        lambda actor: actor.can("requests.submit"),
    ),
    PageSpec("app_pages/track.py", N_("Track a repair"), ":material/search:", N_("Customers"), lambda actor: True),
    PageSpec(
        "app_pages/my_settings.py",
        N_("My settings"),
        ":material/manage_accounts:",
        N_("Account"),
        lambda actor: actor.user_id is not None,
    ),
)
SETTINGS_PAGE = "app_pages/my_settings.py"
PUBLIC_PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/sign_in.py", N_("Sign in"), ":material/login:", N_("RepairOps"), lambda actor: True),
    PageSpec("app_pages/request.py", N_("Request a repair"), ":material/build:", N_("RepairOps"), lambda actor: True),
    PageSpec("app_pages/track.py", N_("Track a repair"), ":material/search:", N_("RepairOps"), lambda actor: True),
)


def visible_pages(actor: Actor | None) -> list[PageSpec]:
    """The pages this person gets, in navigation order (the public ones when signed out)."""
    if actor is None:
        return list(PUBLIC_PAGES)
    if actor.second_factor_pending:  # nothing but setting up the second factor the company requires
        return [spec for spec in PAGES if spec.path == SETTINGS_PAGE]
    return [spec for spec in PAGES if spec.shown_to(actor)]


def pages_for(actor: Actor | None) -> dict[str, list[st.Page]]:
    """The navigation of this person, grouped by section; the first page is the default."""
    sections: dict[str, list[st.Page]] = {}
    for index, spec in enumerate(visible_pages(actor)):
        page = st.Page(spec.path, title=_(spec.title), icon=spec.icon, default=index == 0)
        sections.setdefault(_(spec.section), []).append(page)
    return sections


def sidebar(actor: Actor | None) -> None:
    """Who is signed in, their notifications (staff), and the way out."""
    with st.sidebar:
        if actor is None:
            st.caption(_("Not signed in"))
            return
        st.caption(
            _("Signed in as **{name}** · {roles}").format(
                name=plain(actor.label), roles=", ".join(stage_words(r) for r in sorted(actor.roles)) or _("no role")
            )
        )
        if actor.user_id is not None and not actor.is_customer and not actor.second_factor_pending:
            inbox_bell(actor)
        if st.button(_("Sign out"), key="sign_out"):
            sign_out()
            st.rerun()


INBOX_SHOWN = 15


def inbox_bell(actor: Actor) -> None:
    """The bell: how many notifications are unread, and the newest ones; each opens the order it is about."""
    box = inbox(UnitOfWork(engine(), actor), limit=INBOX_SHOWN)  # every rerun of every page: one read
    label = _("Notifications: {count} new").format(count=box.unread) if box.unread else _("Notifications")
    icon = ":material/notifications_active:" if box.unread else ":material/notifications:"
    with st.popover(label, icon=icon, width="stretch"):  # markdown: ours (a count)
        if not box.items:
            st.caption(_("Nothing yet: SLA alerts, estimate decisions and customers' messages arrive here."))
            return
        if box.unread and st.button(_("Mark all as read"), key="inbox_read_all", icon=":material/done_all:"):
            mark_read(UnitOfWork(engine(), actor))
            st.rerun()
        zone = ZoneInfo(company_look(actor.tenant_id).time_zone)  # cached: no query per rerun
        for item in box.items:
            new = _("new") if item["read_at"] is None else ""
            st.markdown(f"**{plain(item['title'])}**" + (f" :blue-badge[{new}]" if new else ""))  # markdown: ours
            st.caption(f"{moment(item['created_at'], zone, ui_locale())} · {plain(item['body'])}")
            number = item["order_number"]
            if (
                number
                and actor.can("orders.read")
                and st.button(_("Open {order}").format(order=plain(number)), key=f"inbox_open_{item['id']}")
            ):
                if item["read_at"] is None:
                    mark_read(UnitOfWork(engine(), actor), [int(item["id"])])
                st.session_state["order_number"] = number
                st.switch_page("app_pages/order_detail.py")


@dataclass(frozen=True)
class Look:
    """How the app presents a company (white label): its name, colour and logo text."""

    name: str
    color: str
    logo_text: str
    locale: str = "en"
    time_zone: str = "UTC"


DEFAULT_LOOK_COLOR = "#0f766e"


@st.cache_data(ttl=60, show_spinner=False)
def company_look(tenant_id: int) -> Look:
    """The company's name and branding, read as its public portal would (cached for a minute, so an Admin
    change shows within one)."""
    row = read_company_look(UnitOfWork(engine(), Actor.public(tenant_id)))
    branding = row.branding
    color = hex_color_or(str(branding.get("primary_color", DEFAULT_LOOK_COLOR)), DEFAULT_LOOK_COLOR)
    return Look(
        str(row.name),
        color,
        str(branding.get("logo_text") or row.name),
        str(row.locale or "en"),
        str(row.time_zone or "UTC"),
    )


def _tenant_shown(actor: Actor | None) -> int | None:
    """Whose look to wear: the signed-in person's company, else the portal's (``?company=slug`` or the last
    one typed), else none."""
    if actor is not None:
        return actor.tenant_id
    asked = st.query_params.get("company")
    if asked:
        st.session_state[TENANT_KEY] = asked.strip().lower()[:64]
    return _portal_tenant(str(st.session_state.get(TENANT_KEY, DEFAULT_TENANT)))


@st.cache_data(ttl=60, show_spinner=False)
def _portal_tenant(slug: str) -> int | None:
    """The company a public portal slug names (cached: every rerun of a visitor's page asks)."""
    try:
        return resolve_tenant(engine(), slug)
    except RepairOpsError:
        return None


def signed_in(actor: Actor) -> None:
    """Start this browser session as ``actor``, in their own language when they have chosen one."""
    st.session_state[ACTOR_KEY] = actor
    if actor.locale in LOCALES:
        st.session_state[NEXT_LOCALE_KEY] = actor.locale


def _remember_language() -> None:
    """Keep the language just picked in the sidebar on the signed-in person's account."""
    actor = current_actor()
    chosen = st.session_state.get(LOCALE_KEY)
    if actor is None or chosen == actor.locale:
        return
    try:
        kept = set_language(UnitOfWork(engine(), actor), str(chosen))
    except RepairOpsError as error:
        st.toast(error_text(error))
    else:
        st.session_state[ACTOR_KEY] = replace(actor, locale=kept)


def wear_branding(actor: Actor | None) -> None:
    """The company's logo text in its colour above the navigation, and its colour on titles and primary
    buttons (Streamlit's theme is per server, so the per-company colour is a small stylesheet)."""
    tenant_id = _tenant_shown(actor)
    look = company_look(tenant_id) if tenant_id is not None else None
    remember_zone(look.time_zone if look else None)  # every time the pages write is this company's wall clock
    language_picker(look.locale if look else None, _remember_language if actor is not None else None)
    if look is None:
        return
    width = 24 + 11 * len(look.logo_text)
    st.logo(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="32" viewBox="0 0 {width} 32">'
        f'<text x="0" y="23" font-family="sans-serif" font-size="20" font-weight="700" fill="{look.color}">'
        f"{html.escape(look.logo_text)}</text></svg>",
        size="large",
    )
    primary = f"background-color: {look.color} !important; border-color: {look.color} !important;"
    st.html(
        f'<style>h1 {{ color: {look.color} !important; }} [data-testid^="stBaseButton-primary"] {{ {primary} }}</style>'
    )
