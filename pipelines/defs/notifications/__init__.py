"""SLA escalation: a sensor that finds running clocks and a job that raises at-risk/breached notifications."""
