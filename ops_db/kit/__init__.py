"""Shared building blocks: declarative base, sessions and tenant context, typed errors."""
