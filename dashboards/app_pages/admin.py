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
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from dashboards.data import admin
from dashboards.data.catalog import tenant_zone
from dashboards.i18n import _, error_text, number_text, stage_words
from dashboards.session import company_look, current_actor, engine
from dashboards.widgets import done_and_rerun, inline_code, local_times, plain, show_flash, table, typed_amount
from ops_db.audit.service import verify_chain
from ops_db.billing.service import save_tax_rate
from ops_db.billing.stripe_payments import configure_stripe, stripe_account
from ops_db.comms.service import (
    DEFAULT_TEMPLATES,
    EVENT_LABELS,
    TEMPLATE_CHANNELS,
    configure_channel,
    retry_messages,
    save_template,
    template_fields,
)
from ops_db.comms.webhooks import add_endpoint, retry_webhooks
from ops_db.i18n import LOCALES, N_
from ops_db.identity.service import create_user, grant_roles, unlock_user
from ops_db.identity.tenants import CompanyIn, update_company
from ops_db.imports import KINDS, describe, import_csv
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import UnitOfWork
from ops_db.sla.service import update_policy
from ops_db.workforce.service import set_skill

ANY = ""  # the audit filters' "(any)" choice
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
EXAMPLE_ENDPOINT = "https://example.com/repairops"  # a placeholder URL, not language
STRIPE_KEY_FORM, STRIPE_SIGNING_FORM = "sk_live_…", "whsec_…"  # how Stripe's keys begin, not language
# The tabs in order, keyed by id; only the label is translated.
TABS = {"users": N_("Users"), "roles": N_("Roles and permissions"), "sla": N_("SLA policies"),
        "tax": N_("Tax rates"), "templates": N_("Notification templates"), "channels": N_("Channels and webhooks"),
        "delivery": N_("Delivery"),
        "branding": N_("Branding"), "skills": N_("Technicians and skills"), "import": N_("Import"),
        "audit": N_("Audit log")}
# Where a notification text comes from, and the built-in texts' channel.
SOURCE_WORDS = {"tenant": N_("tenant"), "built-in": N_("built-in"), "any": N_("any")}
IMPORT_KINDS = {"customers": N_("customers"), "devices": N_("devices"), "parts": N_("parts")}
# Branding settings the company form writes, as words (other keys show as they are stored).
BRAND_SETTINGS = {"primary_color": N_("Primary colour"), "logo_text": N_("Logo text")}

actor = current_actor()
assert actor is not None
st.title(_("Admin"))
show_flash()
brand = admin.branding(engine(), actor)  # read once: several tabs show parts of it (None: not visible to them)
(users_tab, roles_tab, sla_tab, tax_tab, templates_tab, channels_tab, delivery_tab, branding_tab, skills_tab,
 import_tab, audit_tab) = st.tabs([_(label) for label in TABS.values()])


def _event_words(event: str) -> str:
    return _(EVENT_LABELS.get(event, event.replace("_", " ")))


def _source_words(value: str) -> str:
    return _(SOURCE_WORDS[value]) if value in SOURCE_WORDS else stage_words(value)


def _roles_words(codes: object) -> str:
    """A user's roles ("finance, inventory") as words."""
    return ", ".join(stage_words(code) for code in str(codes or "").split(", ") if code)


def _brand_setting(key: str) -> str:
    return _(BRAND_SETTINGS[key]) if key in BRAND_SETTINGS else key.replace("_", " ")


def _attempt(call: Callable[[], object], working: str) -> bool:
    """Run one service call with a spinner; on refusal show its one sentence and report failure."""
    try:
        with st.spinner(working):  # markdown: ours (every caller's text is checked where it is written)
            call()
    except RepairOpsError as error:
        st.error(error_text(error))
        return False
    return True


def _read_only(reason: str) -> None:
    """``reason`` is already in the reader's language."""
    st.caption(":material/lock: " + _("Read-only: {reason}").format(reason=reason))  # markdown: ours (callers')


def _online_payments() -> None:
    """The company's own Stripe account: money paid online lands there instead of the server's account."""
    assert actor is not None
    st.subheader(_("Online payments (Stripe)"))
    account = stripe_account(UnitOfWork(engine(), actor))
    slug = brand.slug if brand is not None else "…"
    if account is None:
        st.caption(_("Customers pay online into the server's Stripe account, if the server has one. Enter the "
                     "company's own keys to take payments into its own account."))
    else:
        state = _("active") if account.is_active else _("switched off")
        st.caption(_("The company's own account, key {key} ({state}).").format(  # markdown: ours (state)
            key=inline_code(account.key_hint), state=state))
    st.caption(_("In Stripe, send the event checkout.session.completed to {path} on the RepairOps API and copy "
                 "that endpoint's signing secret here.").format(
        path=inline_code(f"POST /api/v1/webhooks/stripe/{slug}")))
    with st.form("stripe_edit"):
        left, right = st.columns(2)
        key = left.text_input(_("Secret key"), max_chars=250, type="password", placeholder=STRIPE_KEY_FORM,
                              key="stripe_key")
        signing = right.text_input(_("Webhook signing secret"), max_chars=250, type="password",
                                   placeholder=STRIPE_SIGNING_FORM, key="stripe_signing")
        active = st.checkbox(_("Take online payments into this account"), value=True, key="stripe_active")
        if st.form_submit_button(_("Save the Stripe account"), key="stripe_submit") and _attempt(partial(
                configure_stripe, UnitOfWork(engine(), actor), key, signing, is_active=active), _("Saving…")):
            done_and_rerun(_("The company's Stripe account is saved."), "stripe_key", "stripe_signing")


def _sla_form(policies: pd.DataFrame) -> None:
    """Change one policy's targets: new orders get them, running clocks keep their promise."""
    assert actor is not None
    labels = {int(r.id): f"{r.name} ({stage_words(str(r.priority))}{', ' + str(r.tier) if r.tier else ''})"
              for r in policies.itertuples()}
    with st.form("sla_edit"):
        st.markdown(_("**Change a policy**"))
        policy_id = st.selectbox(_("Policy"), list(labels), format_func=labels.__getitem__, key="sla_policy")
        row = policies[policies["id"] == policy_id].iloc[0]
        left, middle, right = st.columns(3)
        response = left.number_input(_("Response target (business minutes)"), min_value=1, step=15,
                                     value=int(row["response_minutes"]), key="sla_response")
        resolution = middle.number_input(_("Resolution target (business minutes)"), min_value=1, step=60,
                                         value=int(row["resolution_minutes"]), key="sla_resolution")
        at_risk = right.number_input(_("At risk from (% of the target)"), min_value=1, max_value=99,
                                     value=int(row["at_risk_pct"]), key="sla_at_risk")
        active = st.checkbox(_("Active"), value=bool(row["active"]), key="sla_active")
        st.caption(_("New orders get the new targets; orders already running keep the promise made at intake."))
        if st.form_submit_button(_("Save the policy")) and _attempt(partial(
                update_policy, UnitOfWork(engine(), actor), int(policy_id), response_minutes=int(response),
                resolution_minutes=int(resolution), at_risk_pct=int(at_risk), is_active=active), _("Saving…")):
            done_and_rerun(_("SLA policy {policy} saved.").format(policy=plain(labels[int(policy_id)])))


def _tax_form() -> None:
    """Add a rate or change one by its code; one rate is the default for new lines."""
    assert actor is not None
    with st.form("tax_edit"):
        st.markdown(_("**Add or change a rate** (an existing code is changed)"))
        left, middle, right = st.columns(3)
        code = left.text_input(_("Code"), max_chars=32, placeholder="VAT20", key="tax_code")
        name = middle.text_input(_("Name"), max_chars=100, placeholder=_("VAT standard"), key="tax_name")
        rate = right.text_input(_("Rate (%)"), max_chars=12, placeholder="20", key="tax_rate")
        default = st.checkbox(_("Make it the default for new order lines"), key="tax_default")
        if st.form_submit_button(_("Save the rate")) and _attempt(partial(
                save_tax_rate, UnitOfWork(engine(), actor), code, name, typed_amount(rate) or "",
                is_default=True if default else None), _("Saving…")):
            done_and_rerun(_("Tax rate {code} saved.").format(code=plain(code.strip().upper())), "tax_code", "tax_name",
                           "tax_rate")


def _template_form() -> None:
    """The company's own text for one event, channel and language."""
    assert actor is not None
    with st.form("template_edit"):
        st.markdown(_("**Write the company's own text**"))
        left, middle, right = st.columns(3)
        event = left.selectbox(_("Event"), sorted(DEFAULT_TEMPLATES), key="template_event", format_func=_event_words)
        channel = middle.selectbox(_("Channel"), [c.value for c in TEMPLATE_CHANNELS], key="template_channel",
                                   format_func=stage_words)
        locale = right.text_input(_("Language"), value="en", max_chars=5, key="template_locale",
                                  help=", ".join(LOCALES) + " …")
        subject = st.text_input(_("Subject (email)"), max_chars=300, key="template_subject")
        body = st.text_area(_("Text"), max_chars=5000, key="template_body")
        st.caption(_("Fields this event can use: {fields}").format(
            fields=", ".join(inline_code(f"{{{f}}}") for f in template_fields(str(event)))))
        if st.form_submit_button(_("Save the text")) and _attempt(partial(
                save_template, UnitOfWork(engine(), actor), str(event), str(channel), locale.strip(), subject,
                body), _("Saving…")):
            done_and_rerun(_("Text for {event} by {channel} ({locale}) saved.").format(
                event=_event_words(str(event)), channel=stage_words(str(channel)), locale=plain(locale.strip())),
                "template_body", "template_subject")


def _company_form(brand: admin.Branding) -> None:
    """Name, legal details, colour and logo text, and the sign-in rules."""
    assert actor is not None
    with st.form("company_edit"):
        st.markdown(_("**Change the company's settings**"))
        left, right = st.columns(2)
        name = left.text_input(_("Name"), value=brand.name, max_chars=200, key="company_name")
        legal = right.text_input(_("Legal name"), value=brand.legal_name or "", max_chars=200, key="company_legal")
        tax_number = left.text_input(_("Tax number"), value=brand.tax_number or "", max_chars=64,
                                     key="company_tax")
        logo = right.text_input(_("Logo text"), value=str(brand.branding.get("logo_text", "")), max_chars=40,
                                key="company_logo")
        current = str(brand.branding.get("primary_color", "#0f766e"))
        colour = left.color_picker(_("Primary colour"), value=current if HEX_COLOUR.match(current) else "#0f766e",
                                   key="company_colour")
        lockout = right.number_input(_("Slow down sign-ins after this many failures"), min_value=3,
                                     max_value=20, value=int(brand.max_failed_logins), key="company_lockout")
        totp = st.checkbox(_("Require a second factor (TOTP) for every staff sign-in"), value=brand.require_totp,
                           key="company_totp")
        if st.form_submit_button(_("Save the settings")) and _attempt(partial(
                update_company, UnitOfWork(engine(), actor), CompanyIn(
                    name, legal_name=legal, tax_number=tax_number, primary_color=colour, logo_text=logo,
                    require_totp=totp, max_failed_logins=int(lockout))), _("Saving…")):
            company_look.clear()  # the new name and colour show at once, not after the cache's minute
            done_and_rerun(_("The company's settings are saved."))


with users_tab:
    listing = st.container()
    include_customers = listing.checkbox(_("Include customer portal logins"), value=False,
                                         key="show_customer_logins")
    with st.spinner(_("Loading roles…")):
        matrix = admin.role_matrix(engine(), actor)
    if actor.can("identity.manage_users"):
        offered = admin.grantable_roles(matrix, actor)
        st.subheader(_("Create a user"))
        with st.form("create_user_form"):
            left, right = st.columns(2)
            email = left.text_input(_("Email"), max_chars=254, key="new_user_email")
            full_name = right.text_input(_("Full name"), max_chars=200, key="new_user_name")
            password = left.text_input(_("Initial password (at least 8 characters)"), type="password",
                                       max_chars=1024, key="new_user_password")
            chosen = right.multiselect(_("Roles"), offered, key="new_user_roles", format_func=stage_words)
            create = st.form_submit_button(_("Create the user"), type="primary", key="create_user_submit")
        if create and _attempt(partial(create_user, UnitOfWork(engine(), actor), email, full_name, password,
                                       list(chosen)), _("Creating the user…")):
            st.success(_("{email} can now sign in with the roles {roles}.").format(
                email=plain(email.strip()), roles=", ".join(stage_words(r) for r in sorted(chosen))))
        st.caption(_("Customer portal logins belong to a customer record and are not created here; roles that "
                     "carry a permission you lack are not offered."))

        people = admin.users(engine(), actor)  # read after a creation, so the new user can be chosen below
        staff = people[~people["customer_login"].astype(bool)]
        user_labels = {int(r.id): f"{r.email} · {r.name}" for r in staff.itertuples()}
        st.subheader(_("Grant more roles"))
        with st.form("grant_roles_form"):
            left, right = st.columns(2)
            grantee = left.selectbox(_("User"), list(user_labels), key="grant_user",
                                     format_func=lambda i: user_labels.get(i, str(i)))
            more = right.multiselect(_("Roles to add"), offered, key="grant_roles", format_func=stage_words)
            grant = st.form_submit_button(_("Grant the roles"), key="grant_submit")
        if grant:
            if grantee not in user_labels:
                st.error(_("Choose a user first."))
            elif not more:
                st.error(_("Choose at least one role to grant."))
            elif _attempt(partial(grant_roles, UnitOfWork(engine(), actor), int(grantee), list(more)),
                          _("Granting the roles…")):
                st.success(_("{user} now also has {roles}.").format(
                    user=plain(user_labels[int(grantee)].split(" · ")[0]),
                    roles=", ".join(stage_words(r) for r in sorted(more))))

        st.subheader(_("Unlock an account"))
        locked = people[people["locked"].astype(bool)]
        if locked.empty:
            st.caption(_("No account is locked right now."))
        else:
            locked_labels = {int(r.id): f"{r.email} · " + _("locked until {time} UTC").format(
                time=f"{r.locked_until:%Y-%m-%d %H:%M}") for r in locked.itertuples()}
            locked_emails = {int(r.id): str(r.email) for r in locked.itertuples()}
            left, right = st.columns([3, 1])
            to_unlock = left.selectbox(_("Locked account"), list(locked_labels), key="unlock_user",
                                       format_func=lambda i: locked_labels.get(i, str(i)))
            if right.button(_("Unlock"), key="unlock_submit") and to_unlock in locked_labels and _attempt(
                    partial(unlock_user, UnitOfWork(engine(), actor), int(to_unlock)), _("Unlocking…")):
                st.success(_("{email} can sign in again.").format(email=plain(locked_emails[int(to_unlock)])))
    with listing, st.spinner(_("Loading users…")):
        shown = admin.users(engine(), actor, include_customers=include_customers)
        table(shown.drop(columns=["id"]).assign(roles=shown["roles"].map(_roles_words)), column_config={
            "locked_until": st.column_config.DatetimeColumn(),
            "last_login_at": st.column_config.DatetimeColumn(),
            "totp_enrolled": st.column_config.CheckboxColumn(_("TOTP set up")),
            "customer_login": st.column_config.CheckboxColumn()})
        st.caption(_("{users} users · {locked} locked · {totp} with a second factor").format(
            users=number_text(len(shown)), locked=number_text(int(shown["locked"].sum())),
            totp=number_text(int(shown["totp_enrolled"].sum()))))

with roles_tab:
    st.subheader(_("Roles"))
    table(admin.roles(engine(), actor))
    st.subheader(_("Permissions per role"))
    role_columns = [c for c in matrix.columns if c not in ("permission", "description")]
    table(matrix, column_config={role: stage_words(role) for role in role_columns})
    drifted = admin.matrix_drift(matrix)
    if drifted:
        st.warning(_("These built-in roles differ from the permission catalogue: {roles}.").format(
            roles=", ".join(stage_words(r) for r in drifted)))
    _read_only(_("what each role may do follows the built-in permission catalogue; there is no service to "
                 "change it."))

with sla_tab:
    if not actor.can("sla.read"):
        st.info(_("You do not have access to SLA policies."))
    else:
        with st.spinner(_("Loading SLA policies…")):
            policies = admin.sla_policies(engine(), actor, _)
        if policies.empty:
            st.info(_("No SLA policy is set up, so orders get no response or resolution targets."))
        else:
            table(policies.drop(columns=["id", "response_minutes", "resolution_minutes"]), column_config={
                "at_risk_pct": st.column_config.NumberColumn(_("At risk from"), format="%d %%")})
        st.caption(_("Targets count business time only: the clock runs within the calendar's hours and stops on "
                     "holidays."))
        if actor.can("sla.manage") and not policies.empty:
            _sla_form(policies)
        else:
            _read_only(_("changing SLA targets needs the SLA management permission."))

with tax_tab:
    if not actor.can("billing.read"):
        st.info(_("You do not have access to tax rates."))
    else:
        rates = admin.tax_rates(engine(), actor)
        if rates.empty:
            st.info(_("No tax rate is set up."))
        else:
            table(rates, column_config={"rate_pct": st.column_config.NumberColumn(_("Rate"), format="%.3f %%")})
        if actor.can("settings.manage"):
            _tax_form()
        else:
            _read_only(_("changing tax rates needs the company settings permission."))

with templates_tab:
    if not actor.can("comms.read"):
        st.info(_("You do not have access to notification templates."))
    else:
        templates = admin.notification_templates(engine(), actor)
        table(templates.drop(columns=["body"]).assign(
            event=templates["event"].map(_event_words), channel=templates["channel"].map(_source_words),
            source=templates["source"].map(_source_words)))
        template_labels = {int(i): f"{_event_words(r.event)} · {_source_words(r.channel)} · {r.locale} "
                                   f"({_source_words(r.source)})" for i, r in templates.iterrows()}
        picked = st.selectbox(_("Show the text of"), list(template_labels), key="template_choice",
                              format_func=lambda i: template_labels.get(i, str(i)))
        if picked in template_labels:
            template = templates.loc[int(picked)]
            st.markdown(_("**Subject:** {subject}").format(subject=plain(template["subject"]) or _("(none)")))
            st.code(str(template["body"]), language="text", wrap_lines=True)
        st.caption(_("Built-in texts apply wherever the company has no text of its own; `{fields}` are filled in "
                     "when a notification is sent."))
        if actor.can("comms.templates"):
            _template_form()
        else:
            _read_only(_("changing notification texts needs the template permission."))

with channels_tab:
    if not actor.can("settings.manage"):
        st.info(_("You do not have access to the company's channels and webhooks."))
    else:
        st.subheader(_("Own channels"))
        table(admin.channels(engine(), actor))
        st.caption(_("Messages go out on the server's email unless the company has its own sender here: any "
                     "apprise URL with `{address}` where the recipient goes, e.g. "
                     "`twilio://SID:TOKEN@+15550001111/{address}` for SMS."))
        with st.form("channel_edit"):
            left, right = st.columns([1, 3])
            channel = left.selectbox(_("Channel"), ["sms", "whatsapp", "email"], key="channel_kind",
                                     format_func=stage_words)
            url = right.text_input(_("Apprise URL"), max_chars=2000, type="password", key="channel_url")
            active = st.checkbox(_("Active"), value=True, key="channel_active")
            if st.form_submit_button(_("Save the channel")) and _attempt(partial(
                    configure_channel, UnitOfWork(engine(), actor), str(channel), url, is_active=active),
                    _("Checking the URL…")):
                done_and_rerun(_("The {channel} channel is saved.").format(channel=stage_words(str(channel))),
                               "channel_url")
        st.subheader(_("Webhooks"))
        table(admin.webhook_endpoints(engine(), actor))
        st.caption(_("Every order event is POSTed as JSON, signed `X-RepairOps-Signature: t=…,v1=…` "
                     "(HMAC-SHA256 of `t.body`), with `X-RepairOps-Event-Id` to drop duplicates."))
        with st.form("webhook_add"):
            hook_url = st.text_input(_("Endpoint URL"), max_chars=2000, placeholder=EXAMPLE_ENDPOINT,
                                     key="webhook_url")
            if st.form_submit_button(_("Add the endpoint")):
                try:
                    _token, secret = add_endpoint(UnitOfWork(engine(), actor), hook_url)
                except RepairOpsError as error:
                    st.error(error_text(error))
                else:
                    st.success(_("Endpoint added. Its signing secret is shown once; keep it in the receiving "
                                 "system:"))
                    st.code(secret, language="text")
        _online_payments()

def _undelivered(title: str, frame: pd.DataFrame, what: str, describe: Callable[[Any], str],
                 retry: Callable[[UnitOfWork, list[int]], int]) -> None:
    """One list of what did not go out (``title`` has a ``{count}``), and the way to send it again."""
    assert actor is not None
    st.subheader(title.format(count=number_text(len(frame))))  # markdown: ours (the callers' titles)
    if frame.empty:
        st.caption(_("Nothing here."))
        return
    table(local_times(frame, ZoneInfo(brand.time_zone) if brand else tenant_zone(engine(), actor)))
    labels = {int(row.id): describe(row) for row in frame.itertuples()}
    chosen = st.multiselect(_("Send these again"), list(labels), format_func=labels.__getitem__,
                            key=f"retry_{what}", placeholder=_("Choose what to send again"))
    if st.button(_("Send again"), key=f"retry_{what}_submit", icon=":material/replay:") and _attempt(
            partial(retry, UnitOfWork(engine(), actor), chosen), _("Queuing…")):
        done_and_rerun(_("{count} queued again; the next delivery run sends them.").format(
            count=number_text(len(chosen))), f"retry_{what}")


with delivery_tab:
    if not actor.can("settings.manage"):
        st.info(_("You do not have access to the company's channels and webhooks."))
    else:
        st.caption(_("Every message is kept: a failed one is tried again after 1, 5 and 30 minutes, 2 and 6 hours, "
                     "then given up. Once the channel or the receiving system works again, send it again here."))
        _undelivered(_("Notifications not delivered ({count})"), admin.undelivered_messages(engine(), actor),
                     "messages", lambda r: f"#{r.id} · {stage_words(r.channel)} · {r.address} · "
                                           f"{_event_words(r.event)}", retry_messages)
        _undelivered(_("Webhooks not delivered ({count})"), admin.undelivered_webhooks(engine(), actor),
                     "webhooks", lambda r: f"#{r.id} · {r.url} · {stage_words(r.event)}", retry_webhooks)

with branding_tab:
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
        st.write(" · ".join([
            _("Prices include tax") if brand.prices_include_tax else _("Prices exclude tax"),
            _("second factor required") if brand.require_totp else _("second factor optional"),
            _("sign-ins slow down after {count} failures").format(count=number_text(brand.max_failed_logins)),
            _("portal address slug `{slug}`").format(slug=plain(brand.slug))]))  # slugs are [a-z0-9-]
        colours = {k: str(v) for k, v in brand.branding.items()
                   if ("color" in k or "colour" in k) and HEX_COLOUR.match(str(v))}
        for column, (name, value) in zip(st.columns(max(len(colours), 1)), colours.items(), strict=False):
            column.color_picker(plain(_brand_setting(name).capitalize()), value=value, disabled=True,
                                key=f"brand_shown_{name}")
        others = {k: v for k, v in brand.branding.items() if k not in colours}
        if others:
            table([{"setting": _brand_setting(k), "value": str(v)} for k, v in sorted(others.items())])
        elif not colours:
            st.info(_("No logo or colours are set; the portal uses the RepairOps defaults."))
        if actor.can("settings.manage"):
            _company_form(brand)
        else:
            _read_only(_("changing the company's name, logo, colours or sign-in rules needs the company settings "
                         "permission."))

with skills_tab:
    if not actor.can("workforce.read"):
        st.info(_("You do not have access to technicians."))
    else:
        skill_listing = st.container()
        names = admin.technicians(engine(), actor, _)
        known_skills = admin.skills(engine(), actor)
        if actor.can("workforce.manage") and names:
            st.subheader(_("Set a skill level"))
            with st.form("set_skill_form"):
                left, middle, right = st.columns(3)
                tech_id = left.selectbox(_("Technician"), list(names), key="skill_technician",
                                         format_func=lambda i: names.get(i, str(i)))
                skill_code = middle.selectbox(_("Skill"), list(known_skills), key="skill_code",
                                              format_func=lambda c: f"{known_skills.get(c, c)} ({c})")
                new_code = middle.text_input(_("…or a new skill code"), max_chars=64, key="skill_new_code")
                level = right.number_input(_("Level (1 = junior … 5 = expert)"), value=3, step=1,
                                           key="skill_level")
                save = st.form_submit_button(_("Save the level"), type="primary", key="skill_submit")
            if save:
                code = (new_code or "").strip() or (skill_code or "")
                if tech_id not in names:
                    st.error(_("Choose a technician first."))
                elif _attempt(partial(set_skill, UnitOfWork(engine(), actor), int(tech_id), code,
                                      int(level) if level is not None else 0), _("Saving the level…")):
                    st.success(_("{technician} is now at level {level} in {skill}.").format(
                        technician=plain(names[int(tech_id)].split(" (#")[0]), level=int(level or 0),
                        skill=plain(code.strip().lower())))
        with skill_listing, st.spinner(_("Loading technicians…")):
            skill_table = admin.skill_matrix(engine(), actor).drop(columns=["id"])
            # one column per skill, headed by its code (tenant data, as the form above names it)
            table(skill_table, column_config={c: c for c in skill_table.columns if c in known_skills})
            st.caption(_("Levels run from 1 (junior) to 5 (expert); an empty cell means the technician lacks "
                         "the skill."))

with import_tab:
    importable = [k for k, spec in KINDS.items() if actor.can(spec.permission)]
    if not importable:
        st.info(_("You do not have access to imports."))
    else:
        st.caption(_("Customers, devices or parts from a UTF-8 CSV with a header row. Every row is checked; if "
                     "any is wrong nothing is written and each problem is listed by row and column. Columns: "
                     "customers `name, email, phone, kind, language, address, city`; devices `customer_email` or "
                     "`customer_phone, manufacturer, model, category, serial_number, purchase_date, "
                     "warranty_until`; parts `sku, name, category, unit_cost, sale_price, warranty_months`."))
        left, right = st.columns([1, 3])
        what = left.selectbox(_("What"), importable, key="import_kind",
                              format_func=lambda k: _(IMPORT_KINDS.get(str(k), str(k))))
        upload = right.file_uploader(_("CSV file"), type=["csv"], key="import_file")
        check_col, write_col = st.columns(2)
        checking = check_col.button(_("Check (dry run)"), key="import_check", disabled=upload is None)
        writing = write_col.button(_("Import"), type="primary", key="import_write", disabled=upload is None)
        if upload is not None and (checking or writing):
            try:
                with st.spinner(_("Checking every row…") if checking else _("Importing…")):
                    outcome = import_csv(UnitOfWork(engine(), actor), str(what), upload.getvalue(),
                                         dry_run=checking)
            except RepairOpsError as error:
                st.error(error_text(error))
            else:
                (st.error if outcome.errors else st.success)(describe(outcome, _))
                if outcome.errors:
                    table([{"row": e.row, "column": e.column,
                            "problem": error_text(e.error) if e.error is not None else e.reason}
                           for e in outcome.errors])

with audit_tab:
    if not actor.can("audit.read"):
        st.info(_("You do not have access to the audit trail."))
    else:
        if actor.can("audit.verify") and st.button(_("Verify the audit chain"), key="verify_chain"):
            try:
                with st.spinner(_("Recomputing every audit record's hash…")):
                    report = verify_chain(UnitOfWork(engine(), actor))
            except RepairOpsError as error:
                st.error(error_text(error))
            else:
                if report.ok:
                    st.success(_("The audit chain is intact: {count} records checked.").format(
                        count=number_text(report.records)))
                elif report.first_bad_id is not None:
                    st.error(_("The audit chain is broken at record {record}: {problem}.").format(
                        record=plain(report.first_bad_id), problem=plain(report.problem)))
                else:
                    st.error(_("The audit chain is broken: {problem}.").format(problem=plain(report.problem)))
        choices = admin.audit_choices(engine(), actor)

        def _any_or(value: str) -> str:
            return value if value != ANY else _("(any)")

        filters = st.columns(5)
        entity = filters[0].selectbox(_("Table"), [ANY, *[c for c in choices.tables if c]], key="audit_table",
                                      format_func=_any_or)
        action = filters[1].selectbox(_("Action"), [ANY, *[c for c in choices.actions if c]], key="audit_action",
                                      format_func=_any_or)
        who = filters[2].selectbox(_("Actor"), [ANY, *[c for c in choices.actors if c]], key="audit_actor",
                                   format_func=_any_or)
        since = filters[3].date_input(_("From"), value=None, key="audit_from")
        until = filters[4].date_input(_("To"), value=None, key="audit_to")
        if since is not None and until is not None and since > until:
            st.error(_("The “From” day is after the “To” day."))
        else:
            with st.spinner(_("Reading the audit trail…")):
                records = admin.audit_log(engine(), actor, table=entity or None, action=action or None,
                                          actor_label=who or None,
                                          since=since if not isinstance(since, tuple) else None,
                                          until=until if not isinstance(until, tuple) else None)
            if records.empty:
                st.info(_("No audit record matches."))
            else:
                table(records, column_config={
                    "occurred_local": st.column_config.DatetimeColumn(_("When (company time)")),
                    "row_id": st.column_config.NumberColumn(format="%d")})
            counts = {"count": number_text(len(records)), "limit": number_text(admin.AUDIT_LIMIT)}
            if len(records) >= admin.AUDIT_LIMIT:
                st.caption(_("{count} records, newest first, at most {limit} (the newest only; narrow the filters "
                             "for older ones).").format(**counts))  # markdown: ours (numbers)
            else:
                st.caption(_("{count} records, newest first, at most {limit}.").format(**counts))  # markdown: ours
