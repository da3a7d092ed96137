"""The Streamlit operations UI: ``dashboards/app.py`` is the entry point (``repairops ui``)."""
