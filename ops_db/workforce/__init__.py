"""Technicians, skills, certifications, shifts, breaks, time off, time entries, bookings, plans."""
