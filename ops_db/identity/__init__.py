"""Tenants, users, roles and permissions, login attempts, TOTP secrets."""
