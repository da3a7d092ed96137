"""Alembic migrations of the operational schema."""
