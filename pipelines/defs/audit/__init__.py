"""Daily signed checkpoints of every company's audit chain."""
