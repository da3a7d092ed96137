"""Dispatch: the waiting queue, every technician's schedule (drag a job to move it), the proposed routes on a map,
and the optimizer's proposal as a diff."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pydeck as pdk
import streamlit as st
from streamlit_calendar import calendar

from dashboards.data import dispatch
from dashboards.data.catalog import tenant_zone
from dashboards.i18n import _, column_label, day_text, error_text, number_text, stage_words, ui_locale
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
# What the last action did, shown at the top after the page reruns with the new data (a re-plan refreshes the
# schedule, the map and the proposal, which are drawn before the button that made it); the next action replaces it.
FLASH = {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}
for kind, message in st.session_state.get("dispatch_flash", []):
    FLASH[kind](message)
# Switching tabs reruns the page: the calendar and the map are drawn only in their open tab (a component
# mounted in a hidden tab measures itself as zero wide and stays blank).
queue_tab, schedule_tab, map_tab, plan_tab, replan_tab = st.tabs(
    [_("Queue"), _("Schedule"), _("Map"), _("Proposal"), _("Re-plan")], key="dispatch_tab", on_change="rerun"
)
# A closed tab is not drawn and Streamlit forgets an undrawn widget's value: the optimizer's time chosen on the
# Proposal tab is kept for the Re-plan tab's buttons (which read it) and for the way back.
if not plan_tab.open and "plan_seconds" in st.session_state:
    st.session_state["plan_seconds"] = st.session_state["plan_seconds"]


def _flash(kind: str, message: str) -> None:
    st.session_state.setdefault("dispatch_flash", []).append((kind, message))


def _new_action() -> None:
    """Forget what the previous action said."""
    st.session_state["dispatch_flash"] = []


def _propose(pins: dict[int, int] | None = None, *, replan_now: bool = False) -> None:
    """Run the optimizer with a spinner and say what it did (or the one sentence why it could not)."""
    assert actor is not None
    seconds = float(st.session_state.get("plan_seconds", 10))
    _new_action()
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
        _flash(
            "error",
            _("The checker found {count} broken constraints: {first}").format(
                count=len(done.violations), first=plain(done.violations[0])
            ),
        )
    _flash(
        "success",
        _("Proposal {plan}: {placed} jobs placed, {unassigned} left unassigned.").format(
            plan=plain(done.plan_id), placed=number_text(done.assigned), unassigned=number_text(done.unassigned)
        ),
    )
    if done.same_as is not None:
        _flash(
            "info", _("Nothing changed since proposal {plan}: the plan is the same.").format(plan=plain(done.same_as))
        )
    for stale in ("accept_orders", "pins", "why_order"):  # choices made on the previous proposal
        st.session_state.pop(stale, None)
    st.session_state["schedule_version"] = st.session_state.get("schedule_version", 0) + 1
    st.rerun()


# Only the open tab's data is read: the rerun after an accept or a re-plan redraws what is in view.
if queue_tab.open:
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


def _drop(change: dict[str, Any], plan_id: int | None) -> None:
    """A job dragged on the schedule: the checker decides, the page says what happened and redraws."""
    assert actor is not None
    event, old = change.get("event") or {}, change.get("oldEvent") or {}
    signature = json.dumps([event.get("id"), event.get("start"), event.get("resourceId")])
    if st.session_state.get("schedule_last_drop") == signature:
        return  # the calendar repeats its last value on every rerun
    st.session_state["schedule_last_drop"] = signature
    _new_action()
    st.session_state["schedule_version"] = st.session_state.get("schedule_version", 0) + 1
    order = str(event.get("title") or old.get("title") or "")
    start = dispatch.from_wall(str(event.get("start")), zone)
    tech = event.get("resourceId") or old.get("resourceId")
    if start.date() != day or tech is None:
        _flash(
            "error", _("{order} stays where it was: drop it on {day}.").format(order=plain(order), day=day_text(day))
        )
        st.rerun()
    try:
        dropped = dispatch.drop_job(
            engine(),
            actor,
            day,
            int(event["id"]),
            int(tech),
            start,
            plan_id=plan_id,
            order_number=order,
            day_text=day_text,
            t=_,
        )
    except RepairOpsError as error:
        _flash("error", error_text(error))
    else:
        if dropped.placed and dropped.start is not None:
            names = dispatch.technicians(engine(), actor)
            _flash(
                "success",
                _("{order} now goes to {technician} at {time}; the checker found every rule kept.").format(
                    order=plain(order),
                    technician=plain(names.get(int(tech), "")),
                    time=f"{dropped.start.astimezone(zone):%H:%M}",
                ),
            )
        else:
            _flash(
                "error",
                _("{order} stays where it was: {reasons}").format(
                    order=plain(order), reasons=plain(" ".join(dropped.reasons))
                ),
            )
    st.rerun()


def _schedule(plan: dict[str, Any] | None) -> None:
    """Every technician's day (or week) on a calendar; dragging a job asks the checker before anything moves."""
    assert actor is not None
    shown = dispatch.schedule(engine(), actor, day, plan)
    span = st.segmented_control(
        _("Show"),
        ["day", "week"],
        default="day",
        format_func=lambda v: _("Day") if v == "day" else _("Week"),
        key="schedule_span",
    )
    week = span == "week"
    if shown.plan_id is not None:
        st.caption(
            _(
                "Proposal {plan}: drag a job to another technician or time. The optimizer's checker re-checks the "
                "day at once and refuses a move that breaks a rule, saying why. Grey jobs are under way or "
                "accepted and stay put."
            ).format(plan=plain(shown.plan_id))
        )
    else:
        st.caption(
            _(
                "The day's bookings (no open proposal): drag one to another technician or time; the optimizer's "
                "checker re-checks the day first, and only a sound move is booked."
            )
        )
    events = shown.events + (dispatch.week_bookings(engine(), actor, day) if week else [])
    options = {
        "initialView": "resourceTimelineWeek" if week else "resourceTimelineDay",
        "initialDate": day.isoformat(),
        "firstDay": 1,  # weeks run Monday to Sunday (dispatch.week_bookings fills the other days)
        "timeZone": "UTC",  # the events are the company's wall-clock times (see dispatch.wall)
        "locale": ui_locale().split("_")[0],
        "resources": shown.resources,
        "resourceAreaHeaderContent": _("Technician"),
        "resourceAreaWidth": "170px",
        "editable": True,
        "eventResourceEditable": True,
        "eventDurationEditable": False,
        "slotMinTime": "06:00:00",
        "slotMaxTime": "21:00:00",
        "slotDuration": "02:00:00" if week else "00:30:00",
        "snapDuration": "00:05:00",
        "slotLabelFormat": {"hour": "2-digit", "minute": "2-digit", "hour12": False},
        "eventTimeFormat": {"hour": "2-digit", "minute": "2-digit", "hour12": False},
        "headerToolbar": {"left": "", "center": "title", "right": ""},
        "height": "auto",
    }
    version = st.session_state.get("schedule_version", 0)
    value = calendar(
        events=events,
        options=options,
        callbacks=["eventChange"],
        license_key=dispatch.CALENDAR_LICENSE,
        key=f"schedule-{day}-{span}-{shown.plan_id}-{version}",
    )
    change = value.get("eventChange") if isinstance(value, dict) else None
    if isinstance(change, dict):
        _drop(change, shown.plan_id)
    st.caption(  # markdown: ours (colour names and catalog words)
        " · ".join(
            f":{colour}[●] {plain(label)}"
            for colour, label in (
                ("green", _("new")),
                ("orange", _("moved")),
                ("violet", _("reassigned")),
                ("blue", _("unchanged or booked")),
                ("gray", _("under way or done")),
            )
        )
    )


def _route_map(plan: dict[str, Any] | None) -> None:
    """The proposal's routes per technician, with the jobs left out and why (no map tiles needed)."""
    assert actor is not None
    if plan is None:
        st.info(_("No proposal for {day} yet: run the optimizer to see its routes here.").format(day=day_text(day)))
        return
    drawn = dispatch.route_map(engine(), actor, day, int(plan["id"]), t=_)
    if drawn.stops.empty and drawn.unassigned.empty:
        st.info(_("No job of this proposal has a place on the map."))
        return
    # the tooltip draws plain text, not markdown
    left_out = drawn.unassigned.assign(
        tip=[f"{n}: {w}" for n, w in zip(drawn.unassigned["order_number"], drawn.unassigned["why"], strict=True)]
    )
    points = pd.concat([drawn.stops[["lon", "lat"]], left_out[["lon", "lat"]]])
    layers = [
        pdk.Layer(
            "PathLayer",
            drawn.paths.assign(tip=drawn.paths["technician"]),
            get_path="path",
            get_color="colour",
            width_min_pixels=3,
            pickable=True,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            drawn.stops,
            get_position=["lon", "lat"],
            get_fill_color="colour",
            radius_min_pixels=5,
            get_radius=80,
            pickable=True,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            left_out,
            get_position=["lon", "lat"],
            get_fill_color=[214, 39, 40],
            get_line_color=[0, 0, 0],
            stroked=True,
            line_width_min_pixels=2,
            radius_min_pixels=7,
            get_radius=100,
            pickable=True,
        ),
    ]
    spread = max(float(points["lat"].max() - points["lat"].min()), float(points["lon"].max() - points["lon"].min()))
    zoom = max(3.0, min(14.0, math.log2(360 / max(spread, 0.001)) - 1.2))  # every stop in view
    view = pdk.ViewState(latitude=float(points["lat"].mean()), longitude=float(points["lon"].mean()), zoom=zoom)
    # no base map: deck.gl draws the routes on a plain background, so the map works without internet tiles
    deck = pdk.Deck(layers=layers, initial_view_state=view, map_provider=None, map_style=None,
                    tooltip={"text": "{tip}"})  # fmt: skip
    st.pydeck_chart(deck, height=520)
    st.caption(
        " · ".join(
            f"{plain(name)} ({number_text(int(n))})"
            for name, n in drawn.stops["tip"].str.split(" · ").str[0].value_counts().items()
        )
        + " · "
        + _("red ringed dots: jobs nobody takes")
    )
    if not drawn.unassigned.empty:
        with st.expander(_("{count} jobs left out, and why").format(count=number_text(len(drawn.unassigned)))):
            for row in drawn.unassigned.itertuples():
                st.markdown(f"**{plain(row.order_number)}**: {plain(row.why)}")


current_proposal = (
    dispatch.latest_plan(engine(), actor, day) if schedule_tab.open or map_tab.open or plan_tab.open else None
)
with schedule_tab:
    if schedule_tab.open:
        _schedule(current_proposal)

with map_tab:
    if map_tab.open:
        _route_map(current_proposal)

if plan_tab.open:
    with plan_tab:
        if actor.can("plans.propose"):
            left, right = st.columns([3, 1])
            left.slider(_("Optimiser time (seconds)"), 2, 60, 10, key="plan_seconds")
            if right.button(_("Run the optimizer"), type="primary", key="run_optimizer"):
                _propose()
        plan = current_proposal
        if plan is None:
            st.info(_("No proposal for {day} yet.").format(day=day_text(day)))
        else:
            kpis, base = plan["kpis"], plan["kpis"].get("baseline", {})
            st.subheader(
                _("Proposal {plan} · {status}").format(plan=plain(plan["id"]), status=stage_words(plan["status"]))
            )
            cols = st.columns(3)
            cols[0].metric(
                _("Jobs placed"),
                number_text(kpis.get("served", 0)),
                delta=kpis.get("served", 0) - base.get("served", 0),
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
            table(
                changes.drop(columns=["order_id"]).fillna(""),
                column_config={"why": st.column_config.TextColumn(width="large")},
            )
            whys = dict(zip(changes["order_number"], changes["why"], strict=True))
            read = st.selectbox(_("Why, in full, for order"), list(whys), index=None, key="why_order")
            if read is not None and whys.get(read):
                st.info(f"**{plain(read)}**: {plain(whys[read])}")
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
                                booked=len(result.booked),
                                released=len(result.cancelled),
                                status=stage_words(result.status),
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
                            _("Choose a technician in the “{column}” column first.").format(
                                column=column_label("pin to")
                            )
                        )
                    else:
                        _propose(pins)

if replan_tab.open:
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
