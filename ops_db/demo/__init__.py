"""The demo company generator and its summary."""
