"""Notification templates, the outbox with delivery attempts, message threads, in-app notifications."""
