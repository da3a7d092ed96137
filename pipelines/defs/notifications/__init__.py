"""SLA escalation (sensor + job raising at-risk/breached notifications) and notification delivery."""
