"""SLA policies, business-hours calendars and per-order SLA clocks."""
