"""RepairOps operations UI: ``streamlit run dashboards/app.py`` (or ``repairops ui``)."""

from __future__ import annotations

import streamlit as st

from dashboards.session import current_actor, pages_for, sidebar, wear_branding

st.set_page_config(page_title="RepairOps", page_icon=":material/build:", layout="wide")
actor = current_actor()
navigation = st.navigation(pages_for(actor))
wear_branding(actor)
sidebar(actor)
navigation.run()
