"""Dispatch: the waiting queue, every technician's day, the map, and the optimizer's proposal as a diff."""

from __future__ import annotations

from datetime import datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboards.data import dispatch
from dashboards.data.catalog import tenant_zone
from dashboards.i18n import _, column_label, day_text, error_text, number_text, stage_words
from dashboards.session import current_actor, engine
from dashboards.widgets import labelled_config, plain, table
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import UnitOfWork
from ops_db.workforce import planning

CHANGE_ORDER = ("new", "moved", "reassigned", "dropped", "unassigned", "unchanged")
ACTIONABLE = ("new", "moved", "reassigned", "dropped")

actor = current_actor()
assert actor is not None
zone = tenant_zone(engine(), actor)
now = datetime.now(zone)
st.title(_("Dispatch"))
day = st.date_input(_("Day"), value=now.date() + timedelta(days=1), key="dispatch_day")
queue_tab, timeline_tab, map_tab, plan_tab, replan_tab = st.tabs(
    [_("Queue"), _("Timeline"), _("Map"), _("Proposal"), _("Re-plan")]
)


def _propose(pins: dict[int, int] | None = None, *, replan_now: bool = False) -> None:
    """Run the optimizer with a spinner and say what it did (or the one sentence why it could not)."""
    assert actor is not None
    seconds = float(st.session_state.get("plan_seconds", 10))
    try:
        with st.spinner(
            _("Optimising {day} for up to {seconds} s…").format(day=day_text(day), seconds=number_text(seconds))
        ):
            done = dispatch.propose_plan(
                engine(),
                actor,
                day,
                time_limit=seconds,
                pins=pins,
                now=now if replan_now and day == now.date() else None,
            )
    except RepairOpsError as error:
        st.error(error_text(error))
        return
    if done.violations:
        st.error(
            _("The checker found {count} broken constraints: {first}").format(
                count=len(done.violations), first=plain(done.violations[0])
            )
        )
    st.success(
        _("Proposal {plan}: {placed} jobs placed, {unassigned} left unassigned.").format(
            plan=plain(done.plan_id), placed=number_text(done.assigned), unassigned=number_text(done.unassigned)
        )
    )


with queue_tab:
    with st.spinner(_("Ranking the waiting jobs…")):
        queue = dispatch.waiting_queue(engine(), actor, now)
    st.caption(
        _(
            "Score = urgency (emergency 40, high 25, normal 10) + SLA (breached 30, at risk 20, due within "
            "a day 10) + 5 per customer tier rank + ¼ point per hour waited (at most 30)."
        )
    )
    st.metric(_("Waiting for a technician"), number_text(len(queue)))
    table(
        queue[
            [
                "order_number",
                "score",
                "priority",
                "sla_state",
                "tier",
                "waiting_hours",
                "stage",
                "location",
                "skill",
                "customer",
                "device",
            ]
        ].head(500)
    )

with timeline_tab:
    bookings = dispatch.day_bookings(engine(), actor, day)
    if bookings.empty:
        st.info(_("No bookings on {day} yet.").format(day=day_text(day)))
    else:
        shown = bookings.assign(status=bookings["status"].map(stage_words))
        gantt = (
            alt.Chart(shown)
            .mark_bar(cornerRadius=3)
            .encode(
                x=alt.X("start:T", title=None, axis=alt.Axis(format="%H:%M")),
                x2="end:T",
                y=alt.Y("technician:N", title=None),
                color=alt.Color("status:N", title=column_label("status")),
                tooltip=[
                    alt.Tooltip("order_number:N", title=column_label("order_number")),
                    alt.Tooltip("technician:N", title=column_label("technician")),
                    alt.Tooltip("start:T", title=column_label("start"), format="%H:%M"),
                    alt.Tooltip("end:T", title=column_label("end"), format="%H:%M"),
                    alt.Tooltip("status:N", title=column_label("status")),
                ],
            )
        )
        st.altair_chart(gantt, width="stretch")

with map_tab:
    points = dispatch.map_points(engine(), actor)
    if points.empty:
        st.info(_("No field jobs or technician home bases have coordinates."))
    else:
        st.caption(_(":red[●] field jobs waiting or booked · :blue[●] technicians' home bases"))
        st.map(points, latitude="lat", longitude="lon", color="color", size=40)

with plan_tab:
    if actor.can("plans.propose"):
        left, right = st.columns([3, 1])
        left.slider(_("Optimiser time (seconds)"), 2, 60, 10, key="plan_seconds")
        if right.button(_("Run the optimizer"), type="primary", key="run_optimizer"):
            _propose()
    plan = dispatch.latest_plan(engine(), actor, day)
    if plan is None:
        st.info(_("No proposal for {day} yet.").format(day=day_text(day)))
    else:
        kpis, base = plan["kpis"], plan["kpis"].get("baseline", {})
        st.subheader(_("Proposal {plan} · {status}").format(plan=plain(plan["id"]), status=stage_words(plan["status"])))
        cols = st.columns(3)
        cols[0].metric(
            _("Jobs placed"), number_text(kpis.get("served", 0)), delta=kpis.get("served", 0) - base.get("served", 0)
        )
        cols[1].metric(
            _("Travel (km)"),
            number_text(round(kpis.get("travel_meters", 0) / 1000, 1)),
            delta=round((kpis.get("travel_meters", 0) - base.get("travel_meters", 0)) / 1000, 1),
            delta_color="inverse",
        )
        cols[2].metric(
            _("Overtime (min)"),
            number_text(kpis.get("overtime_seconds", 0) // 60),
            delta=(kpis.get("overtime_seconds", 0) - base.get("overtime_seconds", 0)) // 60,
            delta_color="inverse",
        )
        st.caption(_("Deltas compare with the greedy plan a dispatcher would make by hand."))
        changes = dispatch.plan_changes(engine(), actor, int(plan["id"]), t=_)
        counts = changes["change"].value_counts()
        st.write(" · ".join(f"**{number_text(int(counts.get(c, 0)))}** {stage_words(c)}" for c in CHANGE_ORDER))
        table(changes.drop(columns=["order_id"]).fillna(""))
        if actor.can("plans.accept") and plan["status"] in ("proposed", "partially_accepted"):
            actionable = changes[changes["change"].isin(ACTIONABLE)]
            chosen = st.multiselect(_("Orders to accept"), list(actionable["order_number"]), key="accept_orders")
            left, right = st.columns(2)
            ids: list[int] | None = None
            if left.button(_("Accept all"), type="primary", key="accept_all"):
                ids = list(changes["order_id"])
            if right.button(_("Accept selected"), key="accept_selected"):
                ids = list(actionable[actionable["order_number"].isin(chosen)]["order_id"])
                if not ids:
                    st.error(_("Choose at least one order to accept."))
                    ids = None
            if ids is not None:
                try:
                    with st.spinner(_("Booking the accepted jobs…")):
                        result = planning.accept_plan(
                            UnitOfWork(engine(), actor), int(plan["id"]), [int(i) for i in ids]
                        )
                except RepairOpsError as error:
                    st.error(error_text(error))
                else:
                    st.success(
                        _("{booked} booked, {released} earlier bookings released; the plan is {status}.").format(
                            booked=len(result.booked), released=len(result.cancelled), status=stage_words(result.status)
                        )
                    )
                    numbers = dict(zip(changes["order_id"], changes["order_number"], strict=True))
                    for order_id, reason in result.failed.items():
                        st.warning(
                            _("Order {order}: {reason}").format(
                                order=plain(numbers.get(order_id, order_id)), reason=plain(reason)
                            )
                        )
        if actor.can("plans.propose") and plan["status"] == "proposed":
            st.subheader(_("Edit and re-check"))
            st.caption(
                _(
                    "Choose a technician for any job; the optimizer keeps your choices, re-plans the rest "
                    "and the checker verifies every constraint."
                )
            )
            names = dispatch.technicians(engine(), actor)
            edits = pd.DataFrame(
                {
                    "order_number": changes["order_number"],
                    "technician": changes["technician"],
                    "pin to": pd.Series([None] * len(changes), dtype="object"),
                }
            )
            edited = st.data_editor(
                edits,
                hide_index=True,
                disabled=["order_number", "technician"],
                column_config=labelled_config(
                    edits, {"pin to": st.column_config.SelectboxColumn(options=sorted(names.values()))}
                ),
                key="pins",
            )
            if st.button(_("Re-check with my changes"), key="recheck"):
                by_name = {n: i for i, n in names.items()}
                ids_by_number = dict(zip(changes["order_number"], changes["order_id"], strict=True))
                pins = {
                    int(ids_by_number[number]): by_name[pin]
                    for number, pin in zip(edited["order_number"], edited["pin to"], strict=True)
                    if isinstance(pin, str) and pin in by_name
                }
                if not pins:
                    st.error(
                        _("Choose a technician in the “{column}” column first.").format(column=column_label("pin to"))
                    )
                else:
                    _propose(pins)

with replan_tab:
    st.caption(_("Something changed? Record it, and the optimizer re-plans the day from now."))
    names = dispatch.technicians(engine(), actor)
    if actor.can("workforce.manage") and names:
        left, right = st.columns([3, 1])
        sick = left.selectbox(_("Technician off (sick or called away)"), list(names.values()), key="tech_off")
        if right.button(_("Mark off and re-plan"), key="mark_off"):
            tech_id = next(i for i, n in names.items() if n == sick)
            start_of_day = datetime.combine(day, datetime.min.time(), zone)
            try:
                off_from = now if day == now.date() else start_of_day  # another day: off the whole day
                freed = planning.technician_off_sick(UnitOfWork(engine(), actor), tech_id, off_from)
            except RepairOpsError as error:
                st.error(error_text(error))
            else:
                st.info(
                    _("{technician} is off; {count} jobs go back to planning.").format(
                        technician=plain(sick), count=len(freed)
                    )
                )
                _propose(replan_now=True)
    late = dispatch.active_bookings(engine(), actor, day)
    if actor.can("workforce.book") and not late.empty:
        labels = {
            int(r.id): _("{order} · {technician} · ends {time}").format(
                order=r.order_number, technician=r.technician, time=f"{r.end.astimezone(zone):%H:%M}"
            )
            for r in late.itertuples()
        }
        left, middle, right = st.columns([3, 1, 1])
        chosen_id = left.selectbox(
            _("Job running late"), list(labels), format_func=lambda i: labels.get(i, str(i)), key="late_booking"
        )
        minutes = middle.number_input(
            _("Minutes late"), min_value=5, max_value=600, value=30, step=5, key="late_minutes"
        )
        if right.button(_("Extend and re-plan"), key="run_late") and chosen_id in labels:
            booking = late[late["id"] == chosen_id].iloc[0]
            try:
                freed = planning.job_running_late(
                    UnitOfWork(engine(), actor), int(chosen_id), booking["end"] + timedelta(minutes=int(minutes))
                )
            except RepairOpsError as error:
                st.error(error_text(error))
            else:
                st.info(
                    _("The booking now ends {minutes} minutes later; {count} later jobs are re-planned.").format(
                        minutes=int(minutes), count=len(freed)
                    )
                )
                _propose(replan_now=True)
    if actor.can("plans.propose") and st.button(_("An urgent job arrived: re-plan now"), key="replan_now"):
        _propose(replan_now=True)
