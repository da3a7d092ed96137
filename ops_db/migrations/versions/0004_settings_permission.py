"""The ``settings.manage`` permission: change the company's name, branding, security settings and tax rates
from the Admin page. Admins and managers of every tenant get it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = "settings.manage"
DESCRIPTION = "Change company settings: name, branding, security and tax rates"


def upgrade() -> None:
    op.execute(sa.text("INSERT INTO permissions (code, area, action, description) VALUES (:c, 'settings', "
                       "'manage', :d) ON CONFLICT DO NOTHING").bindparams(c=CODE, d=DESCRIPTION))
    op.execute(sa.text(
        "INSERT INTO role_permissions (tenant_id, role_id, permission_id)"
        " SELECT r.tenant_id, r.id, p.id FROM roles r JOIN permissions p ON p.code = :c"
        " WHERE r.code IN ('admin', 'manager') AND r.is_system ON CONFLICT DO NOTHING").bindparams(c=CODE))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM permissions WHERE code = :c").bindparams(c=CODE))
