"""Notification templates: the company's own texts and the built-in ones, and writing one."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboards.admin_tabs.common import (
    attempt,
    event_words,
    read_only,
    source_words,
)
from dashboards.data import admin
from dashboards.i18n import _, stage_words
from dashboards.session import engine
from dashboards.widgets import done_and_rerun, inline_code, plain, table
from ops_db.comms.service import (
    DEFAULT_TEMPLATES,
    TEMPLATE_CHANNELS,
    save_template,
    template_fields,
)
from ops_db.i18n import LOCALES
from ops_db.kit.uow import Actor, UnitOfWork


def _template_form(actor: Actor) -> None:
    """The company's own text for one event, channel and language."""
    with st.form("template_edit"):
        st.markdown(_("**Write the company's own text**"))
        left, middle, right = st.columns(3)
        event = left.selectbox(_("Event"), sorted(DEFAULT_TEMPLATES), key="template_event", format_func=event_words)
        channel = middle.selectbox(
            _("Channel"), [c.value for c in TEMPLATE_CHANNELS], key="template_channel", format_func=stage_words
        )
        locale = right.text_input(_("Language"), value="en", key="template_locale", help=", ".join(LOCALES) + " …")
        subject = st.text_input(_("Subject (email)"), key="template_subject")
        body = st.text_area(_("Text"), key="template_body")
        st.caption(
            _("Fields this event can use: {fields}").format(
                fields=", ".join(inline_code(f"{{{f}}}") for f in template_fields(str(event)))
            )
        )
        if st.form_submit_button(_("Save the text")) and attempt(
            partial(
                save_template, UnitOfWork(engine(), actor), str(event), str(channel), locale.strip(), subject, body
            ),
            _("Saving…"),
        ):
            done_and_rerun(
                _("Text for {event} by {channel} ({locale}) saved.").format(
                    event=event_words(str(event)), channel=stage_words(str(channel)), locale=plain(locale.strip())
                ),
                "template_body",
                "template_subject",
            )


def show(actor: Actor) -> None:
    """The notification templates tab."""
    if not actor.can("comms.read"):
        st.info(_("You do not have access to notification templates."))
    else:
        templates = admin.notification_templates(engine(), actor)
        table(
            templates.drop(columns=["body"]).assign(
                event=templates["event"].map(event_words),
                channel=templates["channel"].map(source_words),
                source=templates["source"].map(source_words),
            )
        )
        template_labels = {
            int(i): f"{event_words(r.event)} · {source_words(r.channel)} · {r.locale} ({source_words(r.source)})"
            for i, r in templates.iterrows()
        }
        picked = st.selectbox(
            _("Show the text of"),
            list(template_labels),
            key="template_choice",
            format_func=lambda i: template_labels.get(i, str(i)),
        )
        if picked in template_labels:
            template = templates.loc[int(picked)]
            st.markdown(_("**Subject:** {subject}").format(subject=plain(template["subject"]) or _("(none)")))
            st.code(str(template["body"]), language="text", wrap_lines=True)
        st.caption(
            _(
                "Built-in texts apply wherever the company has no text of its own; `{fields}` are filled in "
                "when a notification is sent."
            )
        )
        if actor.can("comms.templates"):
            _template_form(actor)
        else:
            read_only(_("changing notification texts needs the template permission."))
