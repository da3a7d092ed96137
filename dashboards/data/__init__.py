"""Queries and calculations behind the pages, plain functions tested without Streamlit."""
