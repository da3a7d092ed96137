"""Browser tests share the UI fixtures (demo company + built warehouse)."""

from tests.dashboards.conftest import ui_env  # noqa: F401  (a fixture, used by name)
