"""Admin: users and their roles, the role × permission matrix, SLA policies, tax rates, notification templates,
branding, technicians' skills, and the audit trail with its hash-chain check.

One module per tab in ``dashboards/admin_tabs``; this page only composes them. Reads come from the queries
of ``ops_db`` (through ``dashboards.data.admin``); every change goes through a service (users: identity, skills:
workforce, company and tax rates: settings, SLA targets: sla, texts: comms, chain check: audit). Role
permissions follow the built-in catalogue and are read-only.
"""

from __future__ import annotations

import streamlit as st

from dashboards.admin_tabs import (
    audit,
    branding,
    channels,
    delivery,
    imports,
    roles,
    skills,
    sla,
    tax,
    templates,
    users,
)
from dashboards.data import admin
from dashboards.i18n import _
from dashboards.session import current_actor, engine
from dashboards.widgets import show_flash
from ops_db.i18n import N_

# The tabs in order, keyed by id; only the label is translated.
TABS = {
    "users": N_("Users"),
    "roles": N_("Roles and permissions"),
    "sla": N_("SLA policies"),
    "tax": N_("Tax rates"),
    "templates": N_("Notification templates"),
    "channels": N_("Channels and webhooks"),
    "delivery": N_("Delivery"),
    "branding": N_("Branding"),
    "skills": N_("Technicians and skills"),
    "import": N_("Import"),
    "audit": N_("Audit log"),
}

actor = current_actor()
assert actor is not None
st.title(_("Admin"))
show_flash()
brand = admin.branding(engine(), actor)  # read once: several tabs show parts of it (None: not visible to them)
(
    users_tab,
    roles_tab,
    sla_tab,
    tax_tab,
    templates_tab,
    channels_tab,
    delivery_tab,
    branding_tab,
    skills_tab,
    import_tab,
    audit_tab,
) = st.tabs([_(label) for label in TABS.values()])
with users_tab:
    matrix = users.show(actor)
with roles_tab:
    roles.show(actor, matrix)
with sla_tab:
    sla.show(actor)
with tax_tab:
    tax.show(actor)
with templates_tab:
    templates.show(actor)
with channels_tab:
    channels.show(actor, brand)
with delivery_tab:
    delivery.show(actor, brand)
with branding_tab:
    branding.show(actor, brand)
with skills_tab:
    skills.show(actor)
with import_tab:
    imports.show(actor)
with audit_tab:
    audit.show(actor)
