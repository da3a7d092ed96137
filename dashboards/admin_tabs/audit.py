"""The audit trail with its filters, and the hash-chain check."""

from __future__ import annotations

import streamlit as st

from dashboards.data import admin
from dashboards.i18n import _, error_text, number_text
from dashboards.session import engine
from dashboards.widgets import plain, table
from ops_db.audit.service import verify_chain
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import Actor, UnitOfWork

ANY = ""  # the audit filters' "(any)" choice


def show(actor: Actor) -> None:
    """The audit log tab."""
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
                    st.success(
                        _("The audit chain is intact: {count} records checked.").format(
                            count=number_text(report.records)
                        )
                    )
                elif report.first_bad_id is not None:
                    st.error(
                        _("The audit chain is broken at record {record}: {problem}.").format(
                            record=plain(report.first_bad_id), problem=plain(report.problem)
                        )
                    )
                else:
                    st.error(_("The audit chain is broken: {problem}.").format(problem=plain(report.problem)))
        choices = admin.audit_choices(engine(), actor)

        def _any_or(value: str) -> str:
            return value if value != ANY else _("(any)")

        filters = st.columns(5)
        entity = filters[0].selectbox(
            _("Table"), [ANY, *[c for c in choices.tables if c]], key="audit_table", format_func=_any_or
        )
        action = filters[1].selectbox(
            _("Action"), [ANY, *[c for c in choices.actions if c]], key="audit_action", format_func=_any_or
        )
        who = filters[2].selectbox(
            _("Actor"), [ANY, *[c for c in choices.actors if c]], key="audit_actor", format_func=_any_or
        )
        since = filters[3].date_input(_("From"), value=None, key="audit_from")
        until = filters[4].date_input(_("To"), value=None, key="audit_to")
        if since is not None and until is not None and since > until:
            st.error(_("The “From” day is after the “To” day."))
        else:
            with st.spinner(_("Reading the audit trail…")):
                records = admin.audit_log(
                    engine(),
                    actor,
                    table=entity or None,
                    action=action or None,
                    actor_label=who or None,
                    since=since if not isinstance(since, tuple) else None,
                    until=until if not isinstance(until, tuple) else None,
                )
            if records.empty:
                st.info(_("No audit record matches."))
            else:
                table(
                    records,
                    column_config={
                        "occurred_local": st.column_config.DatetimeColumn(_("When (company time)")),
                        "row_id": st.column_config.NumberColumn(format="%d"),
                    },
                )
            counts = {"count": number_text(len(records)), "limit": number_text(admin.AUDIT_LIMIT)}
            if len(records) >= admin.AUDIT_LIMIT:
                st.caption(
                    _(
                        "{count} records, newest first, at most {limit} (the newest only; narrow the filters "
                        "for older ones)."
                    ).format(**counts)
                )  # markdown: ours (numbers)
            else:
                st.caption(_("{count} records, newest first, at most {limit}.").format(**counts))  # markdown: ours
