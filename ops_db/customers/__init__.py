"""Customers (people and companies), contacts, sites, preferences, notes, reminders."""
