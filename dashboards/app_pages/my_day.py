"""A technician's day: jobs in route order with the map, a tap to call the customer and one to get directions,
the parts to bring, and each visit from "on my way" through check-in, the job type's checklist, parts used
(reserved ones or any from the van), notes, photos and the customer's signature drawn on screen to check-out.
Without a connection the same day works in the phone app the API serves at /tech/."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import pandas as pd
import streamlit as st

from dashboards.data import my_day
from dashboards.data.catalog import tenant_zone
from dashboards.i18n import _, day_text, stage_words
from dashboards.session import current_actor, engine
from dashboards.signature import signature_pad
from dashboards.widgets import plain, run_action, submission_form, table
from ops_db.inventory.service import use_on_order
from ops_db.inventory.van import use_from_van
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.service import FileIn, add_attachment, add_note
from ops_db.workforce.checklists import checklist_for
from ops_db.workforce.links import call_url, navigate_url
from ops_db.workforce.service import check_in, clock, complete_visit, respond, start_travel


def _text(value: object) -> str:
    """A text cell of the jobs table, empty when missing (pandas gives NaN, which must not print as "nan")."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


signed_in = current_actor()
assert signed_in is not None
actor: Actor = signed_in  # typed once, so the callbacks below see a definite actor
zone = tenant_zone(engine(), actor)
st.title(_("My day"))
left, right = st.columns([3, 1])
day = left.date_input(_("Day"), value=datetime.now(zone).date(), key="my_day")
since = my_day.clocked_in_since(engine(), actor)
if since is None:
    if right.button(_("Clock in"), type="primary", key="clock_in"):
        run_action(lambda: clock(UnitOfWork(engine(), actor), True), _("Clocked in."))
else:
    right.caption(_("Clocked in since {time}").format(time=f"{since.astimezone(zone):%H:%M}"))  # markdown: ours
    if right.button(_("Clock out"), key="clock_out"):
        run_action(lambda: clock(UnitOfWork(engine(), actor), False), _("Clocked out."))

with st.spinner(_("Loading your jobs…")):
    jobs = my_day.jobs(engine(), actor, day)
if jobs.empty:
    st.info(_("No jobs booked for you on {day}.").format(day=day_text(day)))
    st.stop()
route = jobs.dropna(subset=["latitude", "longitude"])
if not route.empty:
    st.map(route, latitude="latitude", longitude="longitude", size=60)
st.subheader(_("Parts to bring"))
parts = my_day.parts_to_bring(engine(), actor, [int(i) for i in jobs["order_id"]])
if parts.empty:
    st.caption(_("Nothing reserved for today's jobs."))
else:
    table(parts[["order_number", "sku", "part", "quantity", "pick_up_at"]])
van_parts = my_day.van_stock(engine(), actor)

st.subheader(_("Jobs: {n}").format(n=len(jobs)))
for job in jobs.itertuples():
    booking, order_id = int(job.booking_id), int(job.order_id)
    title = (
        f"{job.start.astimezone(zone):%H:%M}–{job.end.astimezone(zone):%H:%M} · {plain(job.order_number)} · "
        f"{plain(job.customer)} · {stage_words(job.status)}"
    )
    with st.expander(title, expanded=job.status == "in_progress"):  # markdown: ours (times, escaped text)
        st.write(
            f"**{plain(_text(job.device)) or _('Device')}** {plain(_text(job.serial_number))} · "
            f"{stage_words(job.priority)} · {stage_words(job.location)}"
        )
        st.write(plain(job.problem_description))
        if _text(job.address):
            st.caption(f"{plain(job.address)} · {plain(_text(job.phone))}")
        phone_link = call_url(_text(job.phone) or None)
        route_link = navigate_url(
            None if pd.isna(job.latitude) else job.latitude,
            None if pd.isna(job.longitude) else job.longitude,
            _text(job.address) or None,
        )
        links = st.columns(2)
        if phone_link:
            links[0].link_button(_("Call"), phone_link, icon=":material/call:", width="stretch")
        if route_link:
            links[1].link_button(_("Navigate"), route_link, icon=":material/directions:", width="stretch")
        if pd.notna(job.equipment_id):
            history = my_day.device_history(engine(), actor, int(job.equipment_id), order_id)
            if not history.empty:
                st.caption(_("Earlier repairs of this device"))
                table(history)
        if job.status in ("tentative", "confirmed"):
            cols = st.columns(4)
            if job.technician_response is None and cols[0].button(_("Accept"), key=f"accept_{booking}"):
                run_action(partial(respond, UnitOfWork(engine(), actor), booking, True), _("Accepted."))
            if job.technician_response is None and cols[1].button(_("Decline"), key=f"decline_{booking}"):
                run_action(
                    partial(respond, UnitOfWork(engine(), actor), booking, False), _("Declined; dispatch is told.")
                )
            if job.location == "field" and cols[2].button(_("On my way"), key=f"travel_{booking}"):
                run_action(partial(start_travel, UnitOfWork(engine(), actor), booking), _("The customer is told."))
            if cols[3].button(_("Check in"), type="primary", key=f"check_in_{booking}"):
                run_action(partial(check_in, UnitOfWork(engine(), actor), booking), _("Checked in; the clock runs."))
        if job.status != "in_progress":
            continue
        own_parts = parts[parts["order_number"] == job.order_number]
        if not own_parts.empty:
            labels = {f"{p.sku} · {p.part} × {p.quantity:g}": p for p in own_parts.itertuples()}
            left, right = st.columns([3, 1])
            chosen = left.selectbox(_("Part used"), list(labels), key=f"part_{booking}")
            if right.button(_("Record part"), key=f"consume_{booking}", width="stretch"):
                part = labels[chosen]
                run_action(
                    partial(use_on_order, UnitOfWork(engine(), actor), int(part.reservation_id)),
                    _("Part recorded."),
                    form=f"consume_{booking}",
                )
        if not van_parts.empty:
            in_van = {f"{p.name} · {p.sku} ({p.free:g})": int(p.part_id) for p in van_parts.itertuples()}
            left, middle, right = st.columns([3, 1, 1], vertical_alignment="bottom")
            picked = left.selectbox(_("Part from the van"), list(in_van), key=f"van_part_{booking}")
            quantity = middle.number_input(
                _("Quantity"), min_value=1, max_value=10_000, step=1, key=f"van_qty_{booking}"
            )
            if right.button(_("Use part"), key=f"use_van_{booking}", width="stretch"):
                run_action(
                    partial(use_from_van, UnitOfWork(engine(), actor), order_id, in_van[picked], int(quantity)),
                    _("Part recorded."),
                    form=f"use_van_{booking}",
                )
        note = st.text_area(_("Note"), key=f"note_{booking}")
        if st.button(_("Add note"), key=f"add_note_{booking}"):
            run_action(
                partial(add_note, UnitOfWork(engine(), actor), order_id, note),
                _("Note added."),
                form=f"add_note_{booking}",
                reset=(f"note_{booking}",),
            )
        photo = st.file_uploader(_("Photo"), type=["jpg", "jpeg", "png", "webp", "heic"], key=f"photo_{booking}")
        if photo is not None and st.button(_("Attach photo"), key=f"attach_{booking}"):
            upload = FileIn(photo.name, photo.type or "application/octet-stream", photo.getvalue())
            run_action(
                partial(add_attachment, UnitOfWork(engine(), actor), order_id, upload, photo=True),
                _("Photo attached."),
                form=f"attach_{booking}",
            )
        st.markdown("**" + _("Finish the visit") + "**")
        # The signature first: the box sends what is drawn on its own, so the form below can read it on submit.
        st.caption(_("Customer's signature"))
        drawn = signature_pad(key=f"signature_{booking}")
        if drawn is not None:
            st.caption(_("Signature captured."))
        # One form: the ticks, the name and the outcome reach the server together with the click.
        with submission_form(f"complete_{booking}", border=False):
            items = checklist_for(_text(job.skill) or None, str(job.location))
            ticked = [item.code for item in items if st.checkbox(_(item.text), key=f"check_{booking}_{item.code}")]
            left, right = st.columns(2)
            signer = left.text_input(_("Customer's name (sign-off)"), key=f"signer_{booking}")
            outcome = right.text_input(_("What was done"), key=f"outcome_{booking}")
            finished = st.form_submit_button(
                _("Complete with sign-off"), type="primary", key=f"complete_{booking}", width="stretch"
            )
        if finished:
            if drawn is None:
                st.error(_("Ask the customer to sign in the box."))
            else:
                run_action(
                    partial(
                        complete_visit,
                        UnitOfWork(engine(), actor),
                        booking,
                        signer,
                        outcome or None,
                        checklist=ticked,
                        signature=FileIn("signature.png", "image/png", drawn),
                    ),
                    _("Job completed and signed off."),
                    form=f"complete_{booking}",
                )
