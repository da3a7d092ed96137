"""Import every area's models so ``Base.metadata`` holds the whole schema (Alembic, tests)."""

from ops_db.assets import models as assets
from ops_db.audit import models as audit
from ops_db.billing import models as billing
from ops_db.comms import models as comms
from ops_db.customers import models as customers
from ops_db.identity import models as identity
from ops_db.inventory import models as inventory
from ops_db.kit import idempotency as submissions
from ops_db.kit import models as kit
from ops_db.kit.base import Base
from ops_db.knowledge import models as knowledge
from ops_db.maintenance import models as maintenance
from ops_db.orders import models as orders
from ops_db.sla import models as sla
from ops_db.warranty import models as warranty
from ops_db.workforce import models as workforce

metadata = Base.metadata

__all__ = [
    "assets",
    "audit",
    "billing",
    "comms",
    "customers",
    "identity",
    "inventory",
    "kit",
    "knowledge",
    "maintenance",
    "metadata",
    "orders",
    "sla",
    "submissions",
    "warranty",
    "workforce",
]
