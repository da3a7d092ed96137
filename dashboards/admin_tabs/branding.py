"""The company's name, branding and sign-in rules, and changing them."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboards.admin_tabs.common import (
    attempt,
    brand_setting,
    read_only,
)
from dashboards.i18n import _, number_text
from dashboards.session import company_look, engine
from dashboards.widgets import done_and_rerun, inline_code, plain, table
from ops_db.identity.queries import Branding
from ops_db.identity.tenants import CompanyIn, update_company
from ops_db.kit.colors import hex_color_or, is_hex_color
from ops_db.kit.uow import Actor, UnitOfWork


def _company_form(actor: Actor, brand: Branding) -> None:
    """Name, legal details, colour and logo text, and the sign-in rules."""
    with st.form("company_edit"):
        st.markdown(_("**Change the company's settings**"))
        left, right = st.columns(2)
        name = left.text_input(_("Name"), value=brand.name, key="company_name")
        legal = right.text_input(_("Legal name"), value=brand.legal_name or "", key="company_legal")
        tax_number = left.text_input(_("Tax number"), value=brand.tax_number or "", key="company_tax")
        logo = right.text_input(_("Logo text"), value=str(brand.branding.get("logo_text", "")), key="company_logo")
        current = str(brand.branding.get("primary_color", "#0f766e"))
        colour = left.color_picker(_("Primary colour"), value=hex_color_or(current, "#0f766e"), key="company_colour")
        lockout = right.number_input(
            _("Slow down sign-ins after this many failures"),
            min_value=3,
            max_value=20,
            value=int(brand.max_failed_logins),
            key="company_lockout",
        )
        totp = st.checkbox(
            _("Require a second factor (TOTP) for every staff sign-in"), value=brand.require_totp, key="company_totp"
        )
        if st.form_submit_button(_("Save the settings")) and attempt(
            partial(
                update_company,
                UnitOfWork(engine(), actor),
                CompanyIn(
                    name,
                    legal_name=legal,
                    tax_number=tax_number,
                    primary_color=colour,
                    logo_text=logo,
                    require_totp=totp,
                    max_failed_logins=int(lockout),
                ),
            ),
            _("Saving…"),
        ):
            company_look.clear()  # the new name and colour show at once, not after the cache's minute
            done_and_rerun(_("The company's settings are saved."))


def show(actor: Actor, brand: Branding | None) -> None:
    """The branding tab."""
    if brand is None:
        st.info(_("The company's settings are not visible to you."))
    else:
        st.subheader(plain(brand.name))
        if brand.legal_name:
            st.caption(plain(brand.legal_name))
        cols = st.columns(4)
        cols[0].metric(_("Locale"), brand.locale)
        cols[1].metric(_("Time zone"), brand.time_zone)
        cols[2].metric(_("Currency"), brand.currency)
        cols[3].metric(_("Order / invoice prefix"), f"{brand.order_number_prefix} / {brand.invoice_number_prefix}")
        st.write(
            " · ".join(
                [
                    _("Prices include tax") if brand.prices_include_tax else _("Prices exclude tax"),
                    _("second factor required") if brand.require_totp else _("second factor optional"),
                    _("sign-ins slow down after {count} failures").format(count=number_text(brand.max_failed_logins)),
                    _("portal address slug {slug}").format(slug=inline_code(brand.slug)),
                ]
            )
        )
        colours = {
            k: str(v) for k, v in brand.branding.items() if ("color" in k or "colour" in k) and is_hex_color(str(v))
        }
        for column, (name, value) in zip(st.columns(max(len(colours), 1)), colours.items(), strict=False):
            column.color_picker(
                plain(brand_setting(name).capitalize()), value=value, disabled=True, key=f"brand_shown_{name}"
            )
        others = {k: v for k, v in brand.branding.items() if k not in colours}
        if others:
            table([{"setting": brand_setting(k), "value": str(v)} for k, v in sorted(others.items())])
        elif not colours:
            st.info(_("No logo or colours are set; the portal uses the RepairOps defaults."))
        if actor.can("settings.manage"):
            _company_form(actor, brand)
        else:
            read_only(
                _("changing the company's name, logo, colours or sign-in rules needs the company settings permission.")
            )
