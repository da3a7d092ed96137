"""Least privilege for companies that already exist: their built-in roles get the permission matrix of
``ops_db/identity/permissions.py`` as it stands after issue 17 (new companies get it when they are created).

- Three new permissions: ``billing.pay_online`` (pay an invoice by card on the provider's page),
  ``orders.approve_for_customer`` (record a customer's answer to an estimate given by phone or at the counter),
  ``documents.send`` (email a customer's documents to them).
- Customers no longer record payments (``billing.pay``); admins and managers no longer approve or rate on a
  customer's behalf (``orders.approve``, ``orders.rate``).
- A customer login may set up its own second factor: the customer policy on ``totp_secrets`` matched no row at
  all (the table has no customer column); it now matches the signed-in person's own row.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_PERMISSIONS = """
INSERT INTO permissions (code, area, action, description) VALUES
  ('billing.pay_online', 'billing', 'pay_online', 'Pay an invoice online by card through the payment provider''s page'),
  ('orders.approve_for_customer', 'orders', 'approve_for_customer',
   'Record a customer''s approval or refusal of an estimate given by phone or at the counter'),
  ('documents.send', 'documents', 'send', 'Email a customer''s documents (receipts, estimates, invoices) to them')
ON CONFLICT (code) DO NOTHING;
"""

DESCRIPTIONS = """
UPDATE permissions SET description = v.d FROM (VALUES
  ('requests.convert', 'Record requests taken by phone, turn requests into service orders or reject them, and link a '
                       'portal request to the customer it belongs to'),
  ('orders.approve', 'Approve or decline an estimate (the customer, for their own order)'),
  ('billing.pay', 'Record payments received (cash, card terminal, bank transfer)')) AS v(c, d)
WHERE code = v.c;
"""

OLD_DESCRIPTIONS = """
UPDATE permissions SET description = v.d FROM (VALUES
  ('requests.convert', 'Turn a request into a service order, or reject it'),
  ('orders.approve', 'Approve or decline an estimate (the customer)'),
  ('billing.pay', 'Record payments')) AS v(c, d)
WHERE code = v.c;
"""

REMOVED = ("('customer', 'billing.pay'), ('admin', 'orders.approve'), ('admin', 'orders.rate'), "
           "('manager', 'orders.approve'), ('manager', 'orders.rate')")

ADDED = ("('customer', 'billing.pay_online'), ('front_desk', 'billing.pay_online'), ('finance', 'billing.pay_online'), "
         "('admin', 'billing.pay_online'), ('manager', 'billing.pay_online'), "
         "('front_desk', 'orders.approve_for_customer'), ('admin', 'orders.approve_for_customer'), "
         "('manager', 'orders.approve_for_customer'), ('front_desk', 'documents.send'), ('finance', 'documents.send'), "
         "('admin', 'documents.send'), ('manager', 'documents.send')")


def _grant(pairs: str) -> str:
    return ("INSERT INTO role_permissions (tenant_id, role_id, permission_id) SELECT r.tenant_id, r.id, p.id"
            f" FROM roles r JOIN permissions p ON (r.code, p.code) IN ({pairs}) WHERE r.is_system"
            " ON CONFLICT DO NOTHING")


def _revoke(pairs: str) -> str:
    return ("DELETE FROM role_permissions rp USING roles r, permissions p WHERE rp.role_id = r.id"
            f" AND rp.permission_id = p.id AND r.is_system AND (r.code, p.code) IN ({pairs})")


def upgrade() -> None:
    # Migrations log in as the owner (a superuser or a BYPASSRLS role), so this reaches every company's roles.
    op.execute(NEW_PERMISSIONS)
    op.execute(DESCRIPTIONS)
    op.execute(_revoke(REMOVED))
    op.execute(_grant(ADDED))
    op.execute("""
        DROP POLICY IF EXISTS customer_scope ON totp_secrets;
        CREATE POLICY customer_scope ON totp_secrets AS RESTRICTIVE
            USING (repairops_customer() IS NULL OR user_id = repairops_user());
    """)


def downgrade() -> None:
    op.execute("""
        DROP POLICY IF EXISTS customer_scope ON totp_secrets;
        CREATE POLICY customer_scope ON totp_secrets AS RESTRICTIVE USING (repairops_customer() IS NULL OR false);
    """)
    op.execute(_grant(REMOVED))
    op.execute("DELETE FROM permissions WHERE code IN ('billing.pay_online', 'orders.approve_for_customer',"
               " 'documents.send')")
    op.execute(OLD_DESCRIPTIONS)
