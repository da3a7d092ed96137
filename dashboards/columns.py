"""Table headings: every column a page shows, by its name in the data ("order_number"), as English words that the
catalogs translate ("Order number"). The data keeps its own column names (CSV, XLSX and tests read those).

Cells of the ``VALUE_COLUMNS`` hold stored codes ("awaiting_parts", "partially_paid"); tables show them as words
from ``ops_db.i18n.VALUE_LABELS``. A test renders every page and fails on a column missing here.
"""

from __future__ import annotations

from ops_db.i18n import N_

COLUMN_LABELS: dict[str, str] = {
    "order_number": N_("Order number"),
}

VALUE_COLUMNS = frozenset({
    "stage", "priority", "status", "sla", "sla_state", "state", "location", "kind", "method", "change", "to_stage",
    "from_stage", "current_stage", "estimate_status", "invoice_status", "channel", "event_type", "reason",
    "bucket", "resolution_outcome", "response_outcome", "customer_kind", "location_kind", "response",
})
