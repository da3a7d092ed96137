"""Admin: users and their roles, the role × permission matrix, SLA policies, tax rates, notification templates,
branding, technicians' skills, and the audit trail with its hash-chain check.

Reads come from ``dashboards.data.admin``; every change goes through a service (users: identity, skills:
workforce, company and tax rates: settings, SLA targets: sla, texts: comms, chain check: audit). Role
permissions follow the built-in catalogue and are read-only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from dashboards.data import admin
from dashboards.session import company_look, current_actor, engine
from dashboards.widgets import done_and_rerun, show_flash, typed_amount
from ops_db.audit.service import verify_chain
from ops_db.billing.service import save_tax_rate
from ops_db.comms.service import (
    DEFAULT_TEMPLATES,
    TEMPLATE_CHANNELS,
    configure_channel,
    save_template,
    template_fields,
)
from ops_db.comms.webhooks import add_endpoint
from ops_db.identity.service import create_user, grant_roles, unlock_user
from ops_db.identity.tenants import CompanyIn, update_company
from ops_db.imports import KINDS, describe, import_csv
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import UnitOfWork
from ops_db.sla.service import update_policy
from ops_db.workforce.service import set_skill

ANY = "(any)"
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

actor = current_actor()
assert actor is not None
st.title("Admin")
show_flash()
(users_tab, roles_tab, sla_tab, tax_tab, templates_tab, channels_tab, branding_tab, skills_tab, import_tab,
 audit_tab) = st.tabs(["Users", "Roles and permissions", "SLA policies", "Tax rates", "Notification templates",
                       "Channels and webhooks", "Branding", "Technicians and skills", "Import", "Audit log"])


def _attempt(call: Callable[[], object], working: str) -> bool:
    """Run one service call with a spinner; on refusal show its one sentence and report failure."""
    try:
        with st.spinner(working):
            call()
    except RepairOpsError as error:
        st.error(error.message)
        return False
    return True


def _no_access(what: str) -> None:
    st.info(f"You do not have access to {what}.")


def _read_only(reason: str) -> None:
    st.caption(f":material/lock: Read-only: {reason}")


def _sla_form(policies: pd.DataFrame) -> None:
    """Change one policy's targets: new orders get them, running clocks keep their promise."""
    assert actor is not None
    labels = {int(r.id): f"{r.name} ({r.priority}{', ' + str(r.tier) if r.tier else ''})"
              for r in policies.itertuples()}
    with st.form("sla_edit"):
        st.markdown("**Change a policy**")
        policy_id = st.selectbox("Policy", list(labels), format_func=labels.__getitem__, key="sla_policy")
        row = policies[policies["id"] == policy_id].iloc[0]
        left, middle, right = st.columns(3)
        response = left.number_input("Response target (business minutes)", min_value=1, step=15,
                                     value=int(row["response_minutes"]), key="sla_response")
        resolution = middle.number_input("Resolution target (business minutes)", min_value=1, step=60,
                                         value=int(row["resolution_minutes"]), key="sla_resolution")
        at_risk = right.number_input("At risk from (% of the target)", min_value=1, max_value=99,
                                     value=int(row["at_risk_pct"]), key="sla_at_risk")
        active = st.checkbox("Active", value=bool(row["active"]), key="sla_active")
        st.caption("New orders get the new targets; orders already running keep the promise made at intake.")
        if st.form_submit_button("Save the policy") and _attempt(partial(
                update_policy, UnitOfWork(engine(), actor), int(policy_id), response_minutes=int(response),
                resolution_minutes=int(resolution), at_risk_pct=int(at_risk), is_active=active), "Saving…"):
            done_and_rerun(f"SLA policy {labels[int(policy_id)]} saved.")


def _tax_form() -> None:
    """Add a rate or change one by its code; one rate is the default for new lines."""
    assert actor is not None
    with st.form("tax_edit"):
        st.markdown("**Add or change a rate** (an existing code is changed)")
        left, middle, right = st.columns(3)
        code = left.text_input("Code", max_chars=32, placeholder="VAT20", key="tax_code")
        name = middle.text_input("Name", max_chars=100, placeholder="VAT standard", key="tax_name")
        rate = right.text_input("Rate (%)", max_chars=12, placeholder="20", key="tax_rate")
        default = st.checkbox("Make it the default for new order lines", key="tax_default")
        if st.form_submit_button("Save the rate") and _attempt(partial(
                save_tax_rate, UnitOfWork(engine(), actor), code, name, typed_amount(rate) or "",
                is_default=True if default else None), "Saving…"):
            done_and_rerun(f"Tax rate {code.strip().upper()} saved.", "tax_code", "tax_name", "tax_rate")


def _template_form() -> None:
    """The company's own text for one event, channel and language."""
    assert actor is not None
    with st.form("template_edit"):
        st.markdown("**Write the company's own text**")
        left, middle, right = st.columns(3)
        event = left.selectbox("Event", sorted(DEFAULT_TEMPLATES), key="template_event")
        channel = middle.selectbox("Channel", [c.value for c in TEMPLATE_CHANNELS], key="template_channel")
        locale = right.text_input("Language", value="en", max_chars=5, key="template_locale",
                                  help="en, ru, pt_BR, zh_CN …")
        subject = st.text_input("Subject (email)", max_chars=300, key="template_subject")
        body = st.text_area("Text", max_chars=5000, key="template_body")
        st.caption("Fields this event can use: " + ", ".join(f"`{{{f}}}`" for f in template_fields(str(event))))
        if st.form_submit_button("Save the text") and _attempt(partial(
                save_template, UnitOfWork(engine(), actor), str(event), str(channel), locale.strip(), subject,
                body), "Saving…"):
            done_and_rerun(f"Text for {event} by {channel} ({locale.strip()}) saved.", "template_body",
                           "template_subject")


def _company_form(brand: admin.Branding) -> None:
    """Name, legal details, colour and logo text, and the sign-in rules."""
    assert actor is not None
    with st.form("company_edit"):
        st.markdown("**Change the company's settings**")
        left, right = st.columns(2)
        name = left.text_input("Name", value=brand.name, max_chars=200, key="company_name")
        legal = right.text_input("Legal name", value=brand.legal_name or "", max_chars=200, key="company_legal")
        tax_number = left.text_input("Tax number", value=brand.tax_number or "", max_chars=64, key="company_tax")
        logo = right.text_input("Logo text", value=str(brand.branding.get("logo_text", "")), max_chars=40,
                                key="company_logo")
        current = str(brand.branding.get("primary_color", "#0f766e"))
        colour = left.color_picker("Primary colour", value=current if HEX_COLOUR.match(current) else "#0f766e",
                                   key="company_colour")
        lockout = right.number_input("Lock an account after this many failed sign-ins", min_value=3, max_value=20,
                                     value=int(brand.max_failed_logins), key="company_lockout")
        totp = st.checkbox("Require a second factor (TOTP) for every staff sign-in", value=brand.require_totp,
                           key="company_totp")
        if st.form_submit_button("Save the settings") and _attempt(partial(
                update_company, UnitOfWork(engine(), actor), CompanyIn(
                    name, legal_name=legal, tax_number=tax_number, primary_color=colour, logo_text=logo,
                    require_totp=totp, max_failed_logins=int(lockout))), "Saving…"):
            company_look.clear()  # the new name and colour show at once, not after the cache's minute
            done_and_rerun("The company's settings are saved.")


with users_tab:
    listing = st.container()
    include_customers = listing.checkbox("Include customer portal logins", value=False, key="show_customer_logins")
    with st.spinner("Loading roles…"):
        matrix = admin.role_matrix(engine(), actor)
    if actor.can("identity.manage_users"):
        offered = admin.grantable_roles(matrix, actor)
        st.subheader("Create a user")
        with st.form("create_user_form"):
            left, right = st.columns(2)
            email = left.text_input("Email", max_chars=254, key="new_user_email")
            full_name = right.text_input("Full name", max_chars=200, key="new_user_name")
            password = left.text_input("Initial password (at least 8 characters)", type="password", max_chars=1024,
                                       key="new_user_password")
            chosen = right.multiselect("Roles", offered, key="new_user_roles")
            create = st.form_submit_button("Create the user", type="primary", key="create_user_submit")
        if create and _attempt(partial(create_user, UnitOfWork(engine(), actor), email, full_name, password,
                                       list(chosen)), "Creating the user…"):
            st.success(f"{email.strip()} can now sign in with the roles {', '.join(sorted(chosen))}.")
        st.caption("Customer portal logins belong to a customer record and are not created here; roles that "
                   "carry a permission you lack are not offered.")

        people = admin.users(engine(), actor)  # read after a creation, so the new user can be chosen below
        staff = people[~people["customer_login"].astype(bool)]
        user_labels = {f"{r.email} · {r.name}": int(r.id) for r in staff.itertuples()}
        st.subheader("Grant more roles")
        with st.form("grant_roles_form"):
            left, right = st.columns(2)
            grantee = left.selectbox("User", list(user_labels), key="grant_user")
            more = right.multiselect("Roles to add", offered, key="grant_roles")
            grant = st.form_submit_button("Grant the roles", key="grant_submit")
        if grant:
            if grantee is None:
                st.error("Choose a user first.")
            elif not more:
                st.error("Choose at least one role to grant.")
            elif _attempt(partial(grant_roles, UnitOfWork(engine(), actor), user_labels[str(grantee)], list(more)),
                          "Granting the roles…"):
                st.success(f"{str(grantee).split(' · ')[0]} now also has {', '.join(sorted(more))}.")

        st.subheader("Unlock an account")
        locked = people[people["locked"].astype(bool)]
        if locked.empty:
            st.caption("No account is locked right now.")
        else:
            locked_labels = {f"{r.email} · locked until {r.locked_until:%Y-%m-%d %H:%M} UTC": int(r.id)
                             for r in locked.itertuples()}
            left, right = st.columns([3, 1])
            to_unlock = left.selectbox("Locked account", list(locked_labels), key="unlock_user")
            if right.button("Unlock", key="unlock_submit") and to_unlock is not None and _attempt(
                    partial(unlock_user, UnitOfWork(engine(), actor), locked_labels[str(to_unlock)]),
                    "Unlocking…"):
                st.success(f"{str(to_unlock).split(' · ')[0]} can sign in again.")
    with listing, st.spinner("Loading users…"):
        shown = admin.users(engine(), actor, include_customers=include_customers)
        st.dataframe(shown.drop(columns=["id"]), hide_index=True, column_config={
            "locked_until": st.column_config.DatetimeColumn("locked until"),
            "last_login_at": st.column_config.DatetimeColumn("last login"),
            "totp_enrolled": st.column_config.CheckboxColumn("TOTP set up"),
            "customer_login": st.column_config.CheckboxColumn("customer login")})
        st.caption(f"{len(shown):,} users · {int(shown['locked'].sum())} locked · "
                   f"{int(shown['totp_enrolled'].sum())} with a second factor")

with roles_tab:
    st.subheader("Roles")
    st.dataframe(admin.roles(engine(), actor), hide_index=True)
    st.subheader("Permissions per role")
    st.dataframe(matrix, hide_index=True)
    drifted = admin.matrix_drift(matrix)
    if drifted:
        st.warning(f"These built-in roles differ from the permission catalogue: {', '.join(drifted)}.")
    _read_only("what each role may do follows the built-in permission catalogue; there is no service to change it.")

with sla_tab:
    if not actor.can("sla.read"):
        _no_access("SLA policies")
    else:
        with st.spinner("Loading SLA policies…"):
            policies = admin.sla_policies(engine(), actor)
        if policies.empty:
            st.info("No SLA policy is set up, so orders get no response or resolution targets.")
        else:
            st.dataframe(policies.drop(columns=["id", "response_minutes", "resolution_minutes"]), hide_index=True,
                         column_config={
                             "at_risk_pct": st.column_config.NumberColumn("at risk from", format="%d %%"),
                             "business_hours": st.column_config.TextColumn("business hours")})
        st.caption("Targets count business time only: the clock runs within the calendar's hours and stops on "
                   "holidays.")
        if actor.can("sla.manage") and not policies.empty:
            _sla_form(policies)
        else:
            _read_only("changing SLA targets needs the SLA management permission.")

with tax_tab:
    if not actor.can("billing.read"):
        _no_access("tax rates")
    else:
        rates = admin.tax_rates(engine(), actor)
        if rates.empty:
            st.info("No tax rate is set up.")
        else:
            st.dataframe(rates, hide_index=True, column_config={
                "rate_pct": st.column_config.NumberColumn("rate", format="%.3f %%")})
        if actor.can("settings.manage"):
            _tax_form()
        else:
            _read_only("changing tax rates needs the company settings permission.")

with templates_tab:
    if not actor.can("comms.read"):
        _no_access("notification templates")
    else:
        templates = admin.notification_templates(engine(), actor)
        st.dataframe(templates.drop(columns=["body", "label"]), hide_index=True)
        picked = st.selectbox("Show the text of", list(templates["label"]), key="template_choice")
        if picked is not None:
            template = templates[templates["label"] == picked].iloc[0]
            st.markdown(f"**Subject:** {template['subject'] or '(none)'}")
            st.code(str(template["body"]), language="text", wrap_lines=True)
        st.caption("Built-in texts apply wherever the company has no text of its own; `{fields}` are filled in "
                   "when a notification is sent.")
        if actor.can("comms.templates"):
            _template_form()
        else:
            _read_only("changing notification texts needs the template permission.")

with channels_tab:
    if not actor.can("settings.manage"):
        _no_access("the company's channels and webhooks")
    else:
        st.subheader("Own channels")
        st.dataframe(admin.channels(engine(), actor), hide_index=True)
        st.caption("Messages go out on the server's email unless the company has its own sender here: any "
                   "apprise URL with `{address}` where the recipient goes, e.g. "
                   "`twilio://SID:TOKEN@+15550001111/{address}` for SMS.")
        with st.form("channel_edit"):
            left, right = st.columns([1, 3])
            channel = left.selectbox("Channel", ["sms", "whatsapp", "email"], key="channel_kind")
            url = right.text_input("Apprise URL", max_chars=2000, type="password", key="channel_url")
            active = st.checkbox("Active", value=True, key="channel_active")
            if st.form_submit_button("Save the channel") and _attempt(partial(
                    configure_channel, UnitOfWork(engine(), actor), str(channel), url, is_active=active),
                    "Checking the URL…"):
                done_and_rerun(f"The {channel} channel is saved.", "channel_url")
        st.subheader("Webhooks")
        st.dataframe(admin.webhook_endpoints(engine(), actor), hide_index=True)
        st.caption("Every order event is POSTed as JSON, signed `X-RepairOps-Signature: t=…,v1=…` "
                   "(HMAC-SHA256 of `t.body`), with `X-RepairOps-Event-Id` to drop duplicates.")
        with st.form("webhook_add"):
            hook_url = st.text_input("Endpoint URL", max_chars=2000, placeholder="https://example.com/repairops",
                                     key="webhook_url")
            if st.form_submit_button("Add the endpoint"):
                try:
                    _, secret = add_endpoint(UnitOfWork(engine(), actor), hook_url)
                except RepairOpsError as error:
                    st.error(error.message)
                else:
                    st.success("Endpoint added. Its signing secret is shown once; keep it in the receiving "
                               "system:")
                    st.code(secret, language="text")

with branding_tab:
    brand = admin.branding(engine(), actor)
    if brand is None:
        st.info("The company's settings are not visible to you.")
    else:
        st.subheader(brand.name)
        if brand.legal_name:
            st.caption(brand.legal_name)
        cols = st.columns(4)
        cols[0].metric("Locale", brand.locale)
        cols[1].metric("Time zone", brand.time_zone)
        cols[2].metric("Currency", brand.currency)
        cols[3].metric("Order / invoice prefix", f"{brand.order_number_prefix} / {brand.invoice_number_prefix}")
        st.write(f"Prices {'include' if brand.prices_include_tax else 'exclude'} tax · second factor "
                 f"{'required' if brand.require_totp else 'optional'} · accounts lock after "
                 f"{brand.max_failed_logins} failed sign-ins · portal address slug `{brand.slug}`")
        colours = {k: str(v) for k, v in brand.branding.items()
                   if ("color" in k or "colour" in k) and HEX_COLOUR.match(str(v))}
        for column, (name, value) in zip(st.columns(max(len(colours), 1)), colours.items(), strict=False):
            column.color_picker(name.replace("_", " ").capitalize(), value=value, disabled=True,
                                key=f"brand_shown_{name}")
        others = {k: v for k, v in brand.branding.items() if k not in colours}
        if others:
            st.dataframe([{"setting": k.replace("_", " "), "value": str(v)} for k, v in sorted(others.items())],
                         hide_index=True)
        elif not colours:
            st.info("No logo or colours are set; the portal uses the RepairOps defaults.")
        if actor.can("settings.manage"):
            _company_form(brand)
        else:
            _read_only("changing the company's name, logo, colours or sign-in rules needs the company settings "
                       "permission.")

with skills_tab:
    if not actor.can("workforce.read"):
        _no_access("technicians")
    else:
        skill_listing = st.container()
        names = admin.technicians(engine(), actor)
        known_skills = admin.skills(engine(), actor)
        if actor.can("workforce.manage") and names:
            st.subheader("Set a skill level")
            labels = {label: tech_id for tech_id, label in names.items()}
            with st.form("set_skill_form"):
                left, middle, right = st.columns(3)
                tech_label = left.selectbox("Technician", list(labels), key="skill_technician")
                skill_code = middle.selectbox("Skill", list(known_skills), key="skill_code",
                                              format_func=lambda c: f"{known_skills.get(c, c)} ({c})")
                new_code = middle.text_input("…or a new skill code", max_chars=64, key="skill_new_code")
                level = right.number_input("Level (1 = junior … 5 = expert)", value=3, step=1, key="skill_level")
                save = st.form_submit_button("Save the level", type="primary", key="skill_submit")
            if save:
                code = (new_code or "").strip() or (skill_code or "")
                if tech_label is None:
                    st.error("Choose a technician first.")
                elif _attempt(partial(set_skill, UnitOfWork(engine(), actor), labels[str(tech_label)], code,
                                      int(level) if level is not None else 0), "Saving the level…"):
                    st.success(f"{str(tech_label).split(' (#')[0]} is now at level {int(level or 0)} in "
                               f"{code.strip().lower()}.")
        with skill_listing, st.spinner("Loading technicians…"):
            st.dataframe(admin.skill_matrix(engine(), actor).drop(columns=["id"]), hide_index=True)
            st.caption("Levels run from 1 (junior) to 5 (expert); an empty cell means the technician lacks "
                       "the skill.")

with import_tab:
    importable = [k for k, spec in KINDS.items() if actor.can(spec.permission)]
    if not importable:
        _no_access("imports")
    else:
        st.caption("Customers, devices or parts from a UTF-8 CSV with a header row. Every row is checked; if "
                   "any is wrong nothing is written and each problem is listed by row and column. Columns: "
                   "customers `name, email, phone, kind, language, address, city`; devices `customer_email` or "
                   "`customer_phone, manufacturer, model, category, serial_number, purchase_date, "
                   "warranty_until`; parts `sku, name, category, unit_cost, sale_price, warranty_months`.")
        left, right = st.columns([1, 3])
        what = left.selectbox("What", importable, key="import_kind")
        upload = right.file_uploader("CSV file", type=["csv"], key="import_file")
        check_col, write_col = st.columns(2)
        checking = check_col.button("Check (dry run)", key="import_check", disabled=upload is None)
        writing = write_col.button("Import", type="primary", key="import_write", disabled=upload is None)
        if upload is not None and (checking or writing):
            try:
                with st.spinner("Checking every row…" if checking else "Importing…"):
                    outcome = import_csv(UnitOfWork(engine(), actor), str(what), upload.getvalue(),
                                         dry_run=checking)
            except RepairOpsError as error:
                st.error(error.message)
            else:
                (st.error if outcome.errors else st.success)(describe(outcome))
                if outcome.errors:
                    st.dataframe([{"row": e.row, "column": e.column, "problem": e.reason}
                                  for e in outcome.errors], hide_index=True)

with audit_tab:
    if not actor.can("audit.read"):
        _no_access("the audit trail")
    else:
        if actor.can("audit.verify") and st.button("Verify the audit chain", key="verify_chain"):
            try:
                with st.spinner("Recomputing every audit record's hash…"):
                    report = verify_chain(UnitOfWork(engine(), actor))
            except RepairOpsError as error:
                st.error(error.message)
            else:
                if report.ok:
                    st.success(f"The audit chain is intact: {report.records:,} records checked.")
                elif report.first_bad_id is not None:
                    st.error(f"The audit chain is broken at record {report.first_bad_id}: {report.problem}.")
                else:
                    st.error(f"The audit chain is broken: {report.problem}.")
        choices = admin.audit_choices(engine(), actor)
        filters = st.columns(5)
        table = filters[0].selectbox("Table", [ANY, *choices.tables], key="audit_table")
        action = filters[1].selectbox("Action", [ANY, *choices.actions], key="audit_action")
        who = filters[2].selectbox("Actor", [ANY, *choices.actors], key="audit_actor")
        since = filters[3].date_input("From", value=None, key="audit_from")
        until = filters[4].date_input("To", value=None, key="audit_to")
        if since is not None and until is not None and since > until:
            st.error("The “From” day is after the “To” day.")
        else:
            with st.spinner("Reading the audit trail…"):
                records = admin.audit_log(engine(), actor, table=None if table == ANY else table,
                                          action=None if action == ANY else action,
                                          actor_label=None if who == ANY else who,
                                          since=since if not isinstance(since, tuple) else None,
                                          until=until if not isinstance(until, tuple) else None)
            if records.empty:
                st.info("No audit record matches.")
            else:
                st.dataframe(records, hide_index=True, column_config={
                    "occurred_local": st.column_config.DatetimeColumn("when (company time)"),
                    "row_id": st.column_config.NumberColumn("row", format="%d")})
            limit_note = " (the newest only; narrow the filters for older ones)" if len(records) >= \
                admin.AUDIT_LIMIT else ""
            st.caption(f"{len(records):,} records, newest first, at most {admin.AUDIT_LIMIT}{limit_note}.")
