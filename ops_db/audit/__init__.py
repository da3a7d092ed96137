"""The audit log of every change."""
