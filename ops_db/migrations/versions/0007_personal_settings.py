"""What each person sets for themself, and their in-app inbox.

- ``users.email_digest_at``: the local time (company zone) at which the day's emails to a staff member go out
  together as one message; NULL sends each email as it happens.
- ``in_app_notifications.order_id``: the order a notification is about, so the inbox opens it.
- An index of the messages that did not go out (failed, given up), which Admin → Delivery lists to send again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email_digest_at", sa.Time(), nullable=True))
    op.add_column("in_app_notifications", sa.Column("order_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(op.f("fk_in_app_notifications_order_id_service_orders"), "in_app_notifications",
                          "service_orders", ["order_id"], ["id"], ondelete="SET NULL")
    # The inbox reads a person's newest notifications and counts the unread ones on every page.
    op.create_index("ix_in_app_notifications_inbox", "in_app_notifications", ["user_id", "created_at"])
    op.create_index("ix_notification_outbox_undelivered", "notification_outbox", ["tenant_id", "created_at"],
                    postgresql_where=sa.text("status IN ('failed', 'dead')"))


def downgrade() -> None:
    op.drop_index("ix_notification_outbox_undelivered", table_name="notification_outbox")
    op.drop_index("ix_in_app_notifications_inbox", table_name="in_app_notifications")
    op.drop_constraint(op.f("fk_in_app_notifications_order_id_service_orders"), "in_app_notifications",
                       type_="foreignkey")
    op.drop_column("in_app_notifications", "order_id")
    op.drop_column("users", "email_digest_at")
