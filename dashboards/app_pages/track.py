"""Public tracking: order number and code show the stage, who is coming and when, the estimate to approve
or decline, and the invoice with what is still due."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from dashboards.i18n import _, day_text, error_text, money_text, stage_words
from dashboards.session import DEFAULT_TENANT, TENANT_KEY, engine
from dashboards.widgets import plain, table
from ops_db.identity.service import resolve_tenant
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.service import decide_estimate
from ops_db.tracking.service import track

FOUND_KEY = "tracked"


def _expected(found: dict[str, Any], zone: ZoneInfo) -> str:
    """What the customer waits for next: the visit, the pickup, or nothing."""
    if found["stage"] == "ready":
        return _("ready for pickup")
    if found["stage"] in ("closed", "cancelled"):
        return stage_words(found["stage"])
    return f"{found['eta'].astimezone(zone):%Y-%m-%d %H:%M}" if found["eta"] else _("to be planned")


def _look_up(company: str, number: str, code: str) -> dict[str, Any]:
    tenant_id = resolve_tenant(engine(), company.strip().lower())
    found = track(UnitOfWork(engine(), Actor.public(tenant_id)), number.strip(), code.strip())
    return {**found, "tenant_id": tenant_id, "code": code.strip(), "company": company}


def _show(found: dict[str, Any]) -> None:
    zone, currency = ZoneInfo(found["time_zone"]), found["currency"]
    st.subheader(f"{plain(found['order_number'])}: {stage_words(found['stage'])}")
    cols = st.columns(4)
    cols[0].metric(_("Received"), day_text(found["received_at"].astimezone(zone).date()))
    cols[1].metric(_("Total so far"), money_text(found["total"], currency))
    cols[2].metric(_("Technician"), found["technician"] or _("not yet"))
    cols[3].metric(_("Expected"), _expected(found, zone))
    invoice = found["invoice"]
    if invoice:
        st.info(
            _("Invoice {number}: {status}; total {total}, due {due}.").format(
                number=plain(invoice["number"]),
                status=stage_words(invoice["status"]),
                total=money_text(invoice["total"], currency),
                due=money_text(invoice["due"], currency),
            )
        )
    if found["estimate_status"] == "pending" and found["estimate_amount"] is not None:
        st.warning(
            _("Estimate waiting for your decision: {amount}").format(
                amount=money_text(found["estimate_amount"], currency)
            )
        )
        left, right = st.columns(2)
        for column, approve, label in ((left, True, _("Approve the estimate")), (right, False, _("Decline"))):
            if column.button(label, key=f"estimate_{'yes' if approve else 'no'}"):  # markdown: ours
                try:
                    decide_estimate(
                        UnitOfWork(engine(), Actor.public(found["tenant_id"])),
                        found["order_id"],
                        approve,
                        tracking_code=found["code"],
                    )
                    st.session_state[FOUND_KEY] = _look_up(found["company"], found["order_number"], found["code"])
                except RepairOpsError as error:
                    st.error(error_text(error))
                else:
                    st.rerun()
    table([{"stage": e["stage"], "when": f"{e['at'].astimezone(zone):%Y-%m-%d %H:%M}"} for e in found["timeline"]])


st.title(_("Track a repair"))
# The link on the receipt, in the first message and behind its QR code fills the form in (?company=&order=&code=)
# and shows the order at once.
linked = {name: str(st.query_params.get(name, ""))[:64] for name in ("company", "order", "code")}
with st.form("track"):
    company = st.text_input(_("Company"), value=linked["company"] or st.session_state.get(TENANT_KEY, DEFAULT_TENANT))
    number = st.text_input(_("Order number"), value=linked["order"], placeholder="RO-2026-000123")
    code = st.text_input(_("Tracking code (from your receipt)"), value=linked["code"])
    submitted = st.form_submit_button(_("Track"), type="primary")
if all(linked.values()) and st.session_state.get("tracked_link") != linked:
    st.session_state["tracked_link"] = linked  # once per link: the form then works as usual
    submitted = True
if submitted:
    st.session_state.pop(FOUND_KEY, None)
    try:
        st.session_state[FOUND_KEY] = _look_up(company, number, code)
    except RepairOpsError as error:
        st.error(error_text(error))
if FOUND_KEY in st.session_state:
    _show(st.session_state[FOUND_KEY])
