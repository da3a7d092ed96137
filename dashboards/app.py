"""RepairOps operations UI: ``streamlit run dashboards/app.py`` (or ``repairops ui``)."""

from __future__ import annotations

import streamlit as st

from dashboards.session import checked_actor, pages_for, sidebar, wear_branding

st.set_page_config(page_title="RepairOps", page_icon=":material/build:", layout="wide")
actor = checked_actor()  # every rerun: a session ended elsewhere signs this browser out too
navigation = st.navigation(pages_for(actor), expanded=True)  # every page listed (no "View more" after 10)
wear_branding(actor)
sidebar(actor)
navigation.run()
