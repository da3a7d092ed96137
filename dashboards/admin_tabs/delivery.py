"""What did not go out (notifications, webhooks), and sending it again."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from dashboards.admin_tabs.common import (
    attempt,
    event_words,
)
from dashboards.data import admin
from dashboards.data.catalog import tenant_zone
from dashboards.i18n import _, number_text, stage_words
from dashboards.session import engine
from dashboards.widgets import done_and_rerun, local_times, table
from ops_db.comms.service import (
    retry_messages,
)
from ops_db.comms.webhooks import retry_webhooks
from ops_db.identity.queries import Branding
from ops_db.kit.uow import Actor, UnitOfWork


def _undelivered(
    actor: Actor,
    brand: Branding | None,
    title: str,
    frame: pd.DataFrame,
    what: str,
    describe: Callable[[Any], str],
    retry: Callable[[UnitOfWork, list[int]], int],
) -> None:
    """One list of what did not go out (``title`` has a ``{count}``), and the way to send it again."""
    st.subheader(title.format(count=number_text(len(frame))))  # markdown: ours (the callers' titles)
    if frame.empty:
        st.caption(_("Nothing here."))
        return
    table(local_times(frame, ZoneInfo(brand.time_zone) if brand else tenant_zone(engine(), actor)))
    labels = {int(row.id): describe(row) for row in frame.itertuples()}
    chosen = st.multiselect(
        _("Send these again"),
        list(labels),
        format_func=labels.__getitem__,
        key=f"retry_{what}",
        placeholder=_("Choose what to send again"),
    )
    if st.button(_("Send again"), key=f"retry_{what}_submit", icon=":material/replay:") and attempt(
        partial(retry, UnitOfWork(engine(), actor), chosen), _("Queuing…")
    ):
        done_and_rerun(
            _("{count} queued again; the next delivery run sends them.").format(count=number_text(len(chosen))),
            f"retry_{what}",
        )


def show(actor: Actor, brand: Branding | None) -> None:
    """The delivery tab."""
    if not actor.can("settings.manage"):
        st.info(_("You do not have access to the company's channels and webhooks."))
    else:
        st.caption(
            _(
                "Every message is kept: a failed one is tried again after 1, 5 and 30 minutes, 2 and 6 hours, "
                "then given up. Once the channel or the receiving system works again, send it again here."
            )
        )
        _undelivered(
            actor,
            brand,
            _("Notifications not delivered ({count})"),
            admin.undelivered_messages(engine(), actor),
            "messages",
            lambda r: f"#{r.id} · {stage_words(r.channel)} · {r.address} · {event_words(r.event)}",
            retry_messages,
        )
        _undelivered(
            actor,
            brand,
            _("Webhooks not delivered ({count})"),
            admin.undelivered_webhooks(engine(), actor),
            "webhooks",
            lambda r: f"#{r.id} · {r.url} · {stage_words(r.event)}",
            retry_webhooks,
        )
