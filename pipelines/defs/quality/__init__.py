"""Data-quality asset checks (Great Expectations) on raw extracts and key marts."""
