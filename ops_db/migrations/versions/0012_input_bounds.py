"""Business limits on money and quantities, enforced by the database.

The services refuse out-of-range input with one sentence (``ops_db.kit.bounds``); these CHECK constraints make
the same limits hold for any writer, so no accepted row can later overflow an invoice total (numeric(12,2)) or a
warehouse column:

- one unit (part price, line unit price and cost, catalogue and price-list price, hourly cost) at most
  1,000,000.00; a line's quantity more than 0 and at most 10,000; a line's net at most 10,000,000.00;
- the lines of one order together at most 10,000,000.00 before tax (a statement trigger, since a CHECK sees one
  row), so its invoice, tax included, stays at most 20,000,000.00;
- any single amount (estimate, invoice, payment, refund, credit note, purchase order, claim, threshold, expense,
  purchase price) at most 100,000,000.00; what one location holds of one part at most 1,000,000.

Each constraint is added NOT VALID (new and changed rows are checked at once, without scanning the table under
a lock) and then validated. A database that already holds a row beyond a limit (the review found a labour line
of 100,000 x 9,999,999,999.99) keeps the constraint unvalidated with a WARNING naming it, instead of failing
the upgrade: fix the row and run ``ALTER TABLE … VALIDATE CONSTRAINT …``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIT = "1000000"  # MAX_UNIT_PRICE
QUANTITY = "10000"  # MAX_QUANTITY
LINE = "10000000"  # MAX_LINE_TOTAL (a line, and an order's lines together)
AMOUNT = "100000000"  # MAX_AMOUNT
STOCK = "1000000"  # MAX_STOCK

# (table, constraint name without the ck_<table>_ prefix, condition)
LIMITS: tuple[tuple[str, str, str], ...] = (
    ("order_lines", "quantity_within_limit", f"quantity <= {QUANTITY}"),
    ("order_lines", "prices_within_limit", f"abs(unit_price) <= {UNIT} AND unit_cost <= {UNIT}"),
    ("order_lines", "net_within_limit", f"abs(round(quantity * unit_price, 2)) <= {LINE}"),
    ("invoice_lines", "quantity_within_limit", f"quantity <= {QUANTITY}"),
    ("invoice_lines", "amounts_within_limit",
     f"abs(unit_price) <= {UNIT} AND abs(net_amount) <= {LINE} AND abs(total_amount) <= {AMOUNT}"),
    ("invoices", "totals_within_limit", f"abs(subtotal) <= {AMOUNT} AND total <= {AMOUNT}"),
    ("payments", "amount_within_limit", f"amount <= {AMOUNT}"),
    ("refunds", "amount_within_limit", f"amount <= {AMOUNT}"),
    ("credit_notes", "amount_within_limit", f"amount <= {AMOUNT}"),
    ("service_orders", "estimate_within_limit", f"estimate_amount <= {AMOUNT}"),
    ("customers", "approval_threshold_within_limit", f"approval_threshold <= {AMOUNT}"),
    ("expenses", "amount_within_limit", f"amount <= {AMOUNT}"),
    ("equipment", "purchase_price_within_limit", f"purchase_price <= {AMOUNT}"),
    ("warranty_claims", "amounts_within_limit", f"claimed_amount <= {AMOUNT}"),
    ("parts", "prices_within_limit", f"unit_cost <= {UNIT} AND sale_price <= {UNIT}"),
    ("service_catalog_items", "price_within_limit", f"default_price <= {UNIT}"),
    ("price_list_items", "price_within_limit", f"price <= {UNIT}"),
    ("technicians", "hourly_cost_within_limit", f"hourly_cost <= {UNIT}"),
    ("commission_rules", "amounts_within_limit", f"base_per_job <= {UNIT} AND bonus_amount <= {UNIT}"),
    ("purchase_orders", "total_within_limit", f"total <= {AMOUNT}"),
    ("purchase_order_lines", "within_limits", f"quantity <= {QUANTITY} AND unit_cost <= {UNIT}"),
    ("purchase_receipt_lines", "quantity_within_limit", f"quantity <= {QUANTITY}"),
    ("stock_reservations", "quantity_within_limit", f"quantity <= {QUANTITY}"),
    ("stock_transfer_lines", "quantity_within_limit", f"quantity <= {STOCK}"),
    ("stock_movements", "delta_within_limit", f"abs(quantity_delta) <= {STOCK}"),
    ("stock_levels", "within_limit",
     f"quantity <= {STOCK} AND reorder_point <= {STOCK} AND reorder_quantity <= {STOCK}"),
)

ORDER_TOTAL = "ck_order_lines_order_total_within_limit"


def upgrade() -> None:
    for table, name, condition in LIMITS:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_{name} CHECK ({condition}) NOT VALID")
    for table, name, _ in LIMITS:
        op.execute(
            f"""
            DO $$
            BEGIN
                ALTER TABLE {table} VALIDATE CONSTRAINT ck_{table}_{name};
            EXCEPTION WHEN check_violation THEN
                RAISE WARNING 'Some rows of {table} are beyond ck_{table}_{name}; new rows are checked. Correct '
                    'them, then run: ALTER TABLE {table} VALIDATE CONSTRAINT ck_{table}_{name}';
            END $$
            """
        )
    # The lines of one order together: a statement trigger sees every order a statement touched (a bulk load
    # too) and runs as the caller, so row-level security keeps it inside the caller's company.
    op.execute(
        f"""
        CREATE FUNCTION repairops_check_order_totals() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            over record;
        BEGIN
            SELECT l.order_id, sum(round(l.quantity * l.unit_price, 2)) AS net INTO over
              FROM order_lines l
             WHERE l.order_id IN (SELECT DISTINCT order_id FROM changed_lines)
             GROUP BY l.order_id
            HAVING abs(sum(round(l.quantity * l.unit_price, 2))) > {LINE}
             LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'the lines of order % come to % before tax; at most {LINE}', over.order_id, over.net
                    USING ERRCODE = 'check_violation', CONSTRAINT = '{ORDER_TOTAL}';
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER trg_order_lines_total_on_insert AFTER INSERT ON order_lines
            REFERENCING NEW TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION repairops_check_order_totals();
        CREATE TRIGGER trg_order_lines_total_on_update AFTER UPDATE ON order_lines
            REFERENCING NEW TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION repairops_check_order_totals();
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER trg_order_lines_total_on_update ON order_lines;
        DROP TRIGGER trg_order_lines_total_on_insert ON order_lines;
        DROP FUNCTION repairops_check_order_totals();
        """
    )
    for table, name, _ in reversed(LIMITS):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT ck_{table}_{name}")
