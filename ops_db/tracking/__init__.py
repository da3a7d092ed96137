"""Public tracking of an order by its number and code (reads across orders, workforce and billing)."""
