"""The permission matrix, declared once: the catalogue (``area.action``), what each built-in role holds, and
what every action (each service and each read of the pages) needs.

- :data:`PERMISSIONS` is the catalogue (kept in ``ops_db.kit.permissions``, below every area); a migration and
  ``sync_role_permissions_sql`` copy it, with :data:`ROLE_PERMISSIONS`, into the ``permissions`` and
  ``role_permissions`` tables that sign-in reads.
- :data:`ACTIONS` names every way in (``module:function``, ``#variant`` where one function does several
  things, such as a document kind) and the :class:`Needs` it checks first. The code checks the same permission
  (``uow.actor.require(...)`` at the start of a service or a read); ``tests/ops_db/services/
  test_permission_matrix.py`` calls every action as every role and compares the answer with :func:`allowed`,
  and a scan of the source makes sure no entry point is missing here.

Row-level security keeps companies apart (and narrows customers and technicians to their own rows); this
matrix keeps jobs apart: what a role may do or see inside its company.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ops_db.identity.models import RoleCode
from ops_db.kit.permissions import PERMISSIONS as PERMISSIONS  # re-exported: the catalogue lives in kit
from ops_db.kit.permissions import PUBLIC_PERMISSIONS as PUBLIC_PERMISSIONS

_READ = frozenset(p for p in PERMISSIONS if p.endswith(".read"))
_ALL = frozenset(PERMISSIONS)
# What a customer does for themself and nobody does on their behalf: approving their own estimate (staff record
# an answer given by phone with orders.approve_for_customer instead) and rating a repair (a rating by staff
# would be a fake).
CUSTOMER_ONLY = frozenset({"orders.approve", "orders.rate"})

ROLE_PERMISSIONS: dict[RoleCode, frozenset[str]] = {
    RoleCode.ADMIN: _ALL - CUSTOMER_ONLY,
    RoleCode.MANAGER: _ALL - CUSTOMER_ONLY - {"identity.manage_roles"},
    RoleCode.DISPATCHER: frozenset(
        {
            "customers.read",
            "requests.read",
            "requests.convert",
            "orders.read",
            "orders.transition",
            "orders.note",
            "workforce.read",
            "workforce.book",
            "workforce.manage",
            "plans.read",
            "plans.propose",
            "plans.accept",
            "sla.read",
            "inventory.read",
            "inventory.reserve",
            "comms.read",
            "comms.send",
            "maintenance.read",
            "warranty.read",
        }
    ),
    RoleCode.FRONT_DESK: frozenset(
        {
            "customers.read",
            "customers.write",
            "requests.submit",
            "requests.read",
            "requests.convert",
            "orders.read",
            "orders.create",
            "orders.transition",
            "orders.edit_lines",
            "orders.estimate",
            "orders.approve_for_customer",
            "orders.note",
            "billing.read",
            "billing.invoice",
            "billing.pay",
            "billing.pay_online",
            "warranty.read",
            "warranty.claim",
            "inventory.read",
            "inventory.reserve",
            "comms.read",
            "comms.send",
            "documents.send",
            "workforce.read",
            "workforce.book",
            "sla.read",
        }
    ),
    RoleCode.TECHNICIAN: frozenset(
        {
            "customers.read",
            "orders.read",
            "orders.transition",
            "orders.edit_lines",
            "orders.estimate",
            "orders.note",
            "workforce.read",
            "workforce.respond",
            "workforce.clock",
            "inventory.read",
            "inventory.reserve",
            "inventory.consume",
            "warranty.read",
            "comms.read",
            "comms.send",
        }
    ),
    RoleCode.INVENTORY: frozenset(
        {
            "orders.read",
            "inventory.read",
            "inventory.reserve",
            "inventory.consume",
            "inventory.transfer",
            "inventory.purchase",
            "inventory.receive",
            "inventory.adjust",
        }
    ),
    RoleCode.FINANCE: frozenset(
        {
            "customers.read",
            "orders.read",
            "billing.read",
            "billing.invoice",
            "billing.pay",
            "billing.pay_online",
            "billing.refund",
            "billing.write_off",
            "warranty.read",
            "warranty.manage",
            "workforce.read",
            "workforce.commissions",
            "audit.read",
            "inventory.read",
            "documents.send",
        }
    ),
    # A customer pays online (the provider confirms the money through its signed webhook); recording a payment
    # by hand is the shop's word that money arrived, so it is never the customer's.
    RoleCode.CUSTOMER: frozenset(
        {
            "requests.submit",
            "orders.read",
            "orders.approve",
            "orders.rate",
            "billing.read",
            "billing.pay_online",
            "warranty.read",
            "comms.read",
            "comms.send",
            "customers.read",
        }
    ),
    # Reads everything, changes nothing (verifying the audit chain only reads it).
    RoleCode.AUDITOR: _READ | {"audit.verify"},
}


PUBLIC = "public"
# Who acts, as the checks tell people apart besides their permissions: the anonymous portal, a customer login,
# a login whose only role is technician (row security narrows both to their own rows), and office staff.
AUDIENCES = ("public", "customer", "technician", "office")
EVERYONE = frozenset(AUDIENCES)
SIGNED_IN = frozenset({"customer", "technician", "office"})
STAFF = frozenset({"technician", "office"})
OFFICE = frozenset({"office"})


@dataclass(frozen=True)
class Needs:
    """What an action asks of the person acting: every permission of ``all_of``, one of ``any_of`` (when it
    names any), and to be one of ``audience``. ``why`` says why when it is not plain."""

    all_of: frozenset[str] = frozenset()
    any_of: frozenset[str] = frozenset()
    audience: frozenset[str] = EVERYONE
    why: str = ""

    def allows(self, permissions: Iterable[str], audience: str) -> bool:
        """Whether someone of ``audience`` holding ``permissions`` may do it."""
        held = frozenset(permissions)
        return audience in self.audience and self.all_of <= held and (not self.any_of or bool(self.any_of & held))


def need(*permissions: str, audience: frozenset[str] = EVERYONE, why: str = "") -> Needs:
    """Needs every one of ``permissions``."""
    return Needs(frozenset(permissions), audience=audience, why=why)


def either(*permissions: str, why: str = "") -> Needs:
    """Needs one of ``permissions`` (the code picks which by who acts)."""
    return Needs(any_of=frozenset(permissions), why=why)


OWN_ACCOUNT = Needs(audience=SIGNED_IN, why="a signed-in person, on their own account only")
OWN_INBOX = Needs(audience=STAFF, why="signed-in staff, their own notifications and email choices only")
OPEN = Needs(why="public facts of the company, or a credential of its own (an order's tracking code)")


def _office(*permissions: str) -> Needs:
    # The warehouse has no row-level security: customers and technicians, whom Postgres narrows to their own
    # rows, would see everyone's there.
    return need(*permissions, audience=OFFICE, why="company-wide warehouse figures: office staff only")


def _kinds(function: str, read: dict[str, str], *also: str, audience: frozenset[str] = EVERYONE) -> dict[str, Needs]:
    return {f"{function}#{kind}": need(*also, permission, audience=audience) for kind, permission in read.items()}


# Each document needs the read permission of what it shows.
DOCUMENT_READ = {
    "intake_receipt": "orders.read",
    "estimate": "orders.read",
    "work_order": "orders.read",
    "release_act": "orders.read",
    "invoice": "billing.read",
    "refund_note": "billing.read",
    "warranty_certificate": "warranty.read",
    "purchase_order": "inventory.read",
}
ANALYTICS_AREAS = {
    "Finance": "billing.read",
    "SLA": "sla.read",
    "Reliability": "orders.read",
    "Workforce": "workforce.read",
    "Inventory": "inventory.read",
    "Customers": "customers.read",
}
# The drill from an area's figures down to its orders; Workforce's shows each order's revenue and margin, which
# is money: billing.read besides the area's own.
ANALYTICS_DRILLS = {
    "Finance": ("billing.read",),
    "SLA": ("sla.read",),
    "Reliability": ("orders.read",),
    "Workforce": ("workforce.read", "billing.read"),
}

_SERVICES: dict[str, Needs] = {
    "ops_db.audit.service:verify_chain": need("audit.verify"),
    "ops_db.billing.service:create_invoice": need("billing.invoice"),
    "ops_db.billing.service:record_payment": need("billing.pay"),
    "ops_db.billing.service:refund": need("billing.refund"),
    "ops_db.billing.service:issue_credit_note": need("billing.refund"),
    "ops_db.billing.service:write_off": need("billing.write_off"),
    "ops_db.billing.service:void_invoice": need("billing.write_off"),
    "ops_db.billing.service:get_invoice": need("billing.read"),
    "ops_db.billing.service:list_invoices": need("billing.read"),
    "ops_db.billing.service:receivables": need("billing.read"),
    "ops_db.billing.service:save_tax_rate": need("settings.manage"),
    "ops_db.billing.stripe_payments:configure_stripe": need("settings.manage"),
    "ops_db.billing.stripe_payments:stripe_account": need("identity.read"),
    "ops_db.billing.stripe_payments:checkout_url": need("billing.pay_online"),
    "ops_db.billing.stripe_payments:refund_online": need("billing.refund"),
    "ops_db.billing.stripe_payments:refund_payment": need("billing.refund"),
    "ops_db.comms.outbox:retry_messages": need("settings.manage"),
    "ops_db.comms.inbox:inbox": OWN_INBOX,
    "ops_db.comms.inbox:unread_count": OWN_INBOX,
    "ops_db.comms.inbox:mark_read": OWN_INBOX,
    "ops_db.comms.inbox:email_choices": OWN_INBOX,
    "ops_db.comms.inbox:set_email_choices": OWN_INBOX,
    "ops_db.comms.threads:post_message": need("comms.send"),
    "ops_db.comms.threads:list_messages": need("comms.read"),
    "ops_db.comms.templates:save_template": need("comms.templates"),
    "ops_db.comms.channels:configure_channel": need("settings.manage"),
    "ops_db.comms.webhooks:add_endpoint": need("settings.manage"),
    "ops_db.comms.webhooks:retry_webhooks": need("settings.manage"),
    "ops_db.customers.service:create_customer": need("customers.write"),
    "ops_db.customers.service:get_customer": need("customers.read"),
    "ops_db.customers.service:list_customers": need("customers.read"),
    "ops_db.customers.service:preferences": need("customers.read", why="a customer reads their own without it"),
    "ops_db.customers.service:set_preferences": need("customers.write", why="a customer sets their own without it"),
    "ops_db.documents.pdf:tenant_brand": OPEN,
    **_kinds("ops_db.documents.render:build", DOCUMENT_READ),
    **_kinds("ops_db.documents.render:render", DOCUMENT_READ),
    "ops_db.documents.receipts:intake_receipt": need("orders.read"),
    **_kinds(
        "ops_db.documents.send:send_document",
        {k: v for k, v in DOCUMENT_READ.items() if k != "purchase_order"},
        "documents.send",
        audience=STAFF,
    ),
    # Who orders the parts sends the purchase order to the supplier.
    "ops_db.documents.send:send_document#purchase_order": need("inventory.purchase", "inventory.read", audience=STAFF),
    "ops_db.identity.totp:enroll_totp": OWN_ACCOUNT,
    "ops_db.identity.totp:has_second_factor": OWN_ACCOUNT,
    "ops_db.identity.totp:confirm_totp": OWN_ACCOUNT,
    "ops_db.identity.users:set_language": OWN_ACCOUNT,
    "ops_db.identity.passwords:change_password": OWN_ACCOUNT,
    "ops_db.identity.passwords:reset_password": need("identity.manage_users"),
    "ops_db.identity.sessions:sign_out": OWN_ACCOUNT,
    "ops_db.identity.sessions:sign_out_everywhere": need(
        "identity.manage_users", why="another person's sessions; anyone signed in ends their own without it"
    ),
    "ops_db.identity.users:create_user": need("identity.manage_users"),
    "ops_db.identity.users:grant_roles": need("identity.manage_users"),
    "ops_db.identity.users:unlock_user": need("identity.manage_users"),
    "ops_db.identity.tenants:update_company": need("settings.manage"),
    "ops_db.imports:import_csv#customers": need("customers.write"),
    "ops_db.imports:import_csv#devices": need("customers.write"),
    "ops_db.imports:import_csv#parts": need("inventory.adjust"),
    "ops_db.inventory.service:reserve": need("inventory.reserve"),
    "ops_db.inventory.service:consume": need("inventory.consume"),
    "ops_db.inventory.service:use_on_order": need("inventory.consume", "orders.edit_lines"),
    "ops_db.inventory.van:van_stock": need("inventory.read"),
    "ops_db.inventory.van:use_from_van": need("inventory.consume", "orders.edit_lines"),
    "ops_db.inventory.service:release": need("inventory.reserve"),
    "ops_db.inventory.service:reservations": need("inventory.read"),
    "ops_db.inventory.service:transfer": need("inventory.transfer"),
    "ops_db.inventory.service:adjust": need("inventory.adjust"),
    "ops_db.inventory.service:create_purchase_order": need("inventory.purchase"),
    "ops_db.inventory.service:send_purchase_order": need("inventory.purchase"),
    "ops_db.inventory.service:receive": need("inventory.receive"),
    "ops_db.inventory.service:reorder_suggestions": need("inventory.read"),
    "ops_db.inventory.service:stock": need("inventory.read"),
    "ops_db.inventory.service:create_part": need("inventory.adjust"),
    "ops_db.maintenance.service:create_plan": need("maintenance.manage"),
    "ops_db.maintenance.service:generate_due_orders": need("maintenance.manage"),
    "ops_db.orders.intake:submit_request": need("requests.submit"),
    "ops_db.orders.intake:record_request": need("requests.convert"),
    "ops_db.orders.intake:convert_request": need("requests.convert"),
    "ops_db.orders.intake:link_request": need("requests.convert", "customers.write"),
    "ops_db.orders.intake:register_intake": need("orders.create"),
    "ops_db.orders.lifecycle:transition": need("orders.transition"),
    "ops_db.orders.lifecycle:set_priority": need("orders.transition"),
    "ops_db.orders.lifecycle:bulk_transition": need("orders.transition"),
    "ops_db.orders.lifecycle:bulk_set_priority": need("orders.transition"),
    "ops_db.orders.estimates:send_estimate": need("orders.estimate"),
    "ops_db.orders.estimates:decide_estimate": either(
        "orders.approve",
        "orders.approve_for_customer",
        why="the customer (signed in, or with the tracking code) approves; staff record an answer given to them",
    ),
    "ops_db.orders.lines:add_line": need("orders.edit_lines"),
    "ops_db.orders.lines:remove_line": need("orders.edit_lines"),
    "ops_db.orders.lines:change_line": need("orders.edit_lines"),
    "ops_db.orders.lines:apply_loyalty_discount": need("orders.edit_lines"),
    "ops_db.orders.notes:add_note": need("orders.note"),
    "ops_db.orders.files:add_attachment": need("orders.note"),
    "ops_db.orders.notes:sign_off": need("orders.note"),
    "ops_db.orders.notes:rate_order": need("orders.rate"),
    "ops_db.orders.queries:get_order": need("orders.read"),
    "ops_db.orders.queries:list_orders": need("orders.read"),
    "ops_db.tracking.service:track": OPEN,
    "ops_db.sla.service:evaluate_clocks": need("sla.manage"),
    "ops_db.sla.service:update_policy": need("sla.manage"),
    "ops_db.warranty.service:lookup": need("warranty.read"),
    "ops_db.warranty.service:file_claim": need("warranty.claim"),
    "ops_db.warranty.service:decide_claim": need("warranty.manage"),
    "ops_db.warranty.service:remind_expiring": need("warranty.manage"),
    "ops_db.workforce.planning:snapshot": need("plans.read"),
    "ops_db.workforce.planning:save_proposed_plan": need("plans.propose"),
    "ops_db.workforce.planning:plan_diff": need("plans.read"),
    "ops_db.workforce.planning:accept_plan": need("plans.accept"),
    "ops_db.workforce.planning:move_plan_item": need("plans.propose"),
    "ops_db.workforce.planning:move_booking": need("workforce.book"),
    "ops_db.workforce.planning:technician_off_sick": need("workforce.manage"),
    "ops_db.workforce.planning:job_running_late": need("workforce.book"),
    "ops_db.workforce.planning:current_plan_summary": need("workforce.read"),
    "ops_db.workforce.roster:create_technician": need("workforce.manage"),
    "ops_db.workforce.roster:set_skill": need("workforce.manage"),
    "ops_db.workforce.roster:add_shift": need("workforce.manage"),
    "ops_db.workforce.roster:add_time_off": need("workforce.manage"),
    "ops_db.workforce.bookings:book": need("workforce.book"),
    "ops_db.workforce.bookings:unbook": need("workforce.book"),
    "ops_db.workforce.visits:respond": need("workforce.respond"),
    "ops_db.workforce.visits:start_travel": need("workforce.clock"),
    "ops_db.workforce.visits:check_in": need("workforce.clock"),
    "ops_db.workforce.visits:check_out": need("workforce.clock"),
    "ops_db.workforce.visits:complete_visit": need("workforce.clock", "orders.note"),
    "ops_db.workforce.visits:clock": need("workforce.clock"),
    "ops_db.workforce.commissions:commission": need("workforce.commissions"),
    "ops_db.workforce.roster:list_technicians": need("workforce.read"),
    "ops_db.workforce.bookings:list_bookings": need("workforce.read"),
}

# The reads (``ops_db/<area>/queries.py``, shared by the pages, the API and the command line): each checks before it
# runs its SQL.
_READS: dict[str, Needs] = {
    **{
        f"ops_db.identity.queries:{name}": need("identity.read")
        for name in ("users", "roles", "role_grants", "branding")
    },
    "ops_db.identity.queries:company_look": OPEN,
    "ops_db.identity.queries:tenant_zone": OPEN,
    "ops_db.identity.queries:tenant_currency": OPEN,
    "ops_db.identity.queries:data_version": OPEN,
    "ops_db.sla.queries:sla_policies": need("sla.read"),
    **{
        f"ops_db.billing.queries:{name}": need("billing.read")
        for name in (
            "tax_rates",
            "invoices",
            "invoice",
            "payable_invoices",
            "uninvoiced_orders",
            "refundable_payments",
            "drawer_payments",
            "drawer_refunds",
        )
    },
    **{
        f"ops_db.comms.queries:{name}": need("comms.read")
        for name in (
            "notification_templates",
            "channels",
            "webhook_endpoints",
            "undelivered_messages",
            "undelivered_webhooks",
        )
    },
    **{
        f"ops_db.workforce.queries:{name}": need("workforce.read")
        for name in (
            "technicians",
            "active_technicians",
            "skills",
            "skill_levels",
            "skill_level",
            "active_bookings",
            "my_jobs",
            "clocked_in_since",
        )
    },
    **{
        f"ops_db.workforce.queries:{name}": need("plans.read")
        for name in ("waiting_queue", "map_points", "latest_plan", "plan_warehouses")
    },
    "ops_db.audit.queries:audit_choices": need("audit.read"),
    "ops_db.audit.queries:audit_log": need("audit.read"),
    **{
        f"ops_db.inventory.queries:{name}": need("inventory.read")
        for name in (
            "locations",
            "parts",
            "priced_parts",
            "stock_locations",
            "suppliers",
            "stock",
            "active_reservations",
            "purchase_orders",
            "purchase_order_lines",
            "parts_to_bring",
        )
    },
    "ops_db.customers.queries:my_devices": need("customers.read"),
    "ops_db.warranty.queries:my_warranties": need("warranty.read"),
    "ops_db.assets.queries:equipment_models": need("orders.read", why="what intake offers"),
    **{
        f"ops_db.orders.queries:{name}": need("orders.read")
        for name in (
            "open_orders",
            "board_cards",
            "open_order_counts",
            "my_orders",
            "stages_passed",
            "device_history",
            "order_id_by_number",
            "catalog_services",
        )
    },
    "ops_db.orders.queries:order_extras": need(
        "orders.read", why="reservations, invoices and payments, warranties only with their own read permission"
    ),
    "ops_db.orders.queries:requests_to_link": need("requests.read"),
    "ops_db.orders.records:find_customers": need("customers.read"),
    "ops_db.orders.records:order_header": need("orders.read", why="the invoice only with billing.read"),
    "ops_db.orders.records:customer_record": need(
        "customers.read", why="orders, invoices only with their own read permission"
    ),
    "ops_db.orders.records:device_record": need(
        "customers.read", why="orders, warranties only with their own read permission"
    ),
    "ops_db.orders.records:technician_record": need("workforce.read", why="orders only with orders.read"),
    "ops_db.orders.queries:alerts": Needs(why="each list needs its own permission (ops_db.orders.queries.ALERTS)"),
    **{
        f"ops_db.analytics.queries:{name}#{area}": _office(permission)
        for name in ("table", "area_report", "table_report")
        for area, permission in ANALYTICS_AREAS.items()
    },
    "ops_db.analytics.queries:monthly_finance": _office("billing.read"),
    "ops_db.analytics.queries:sla_compliance": _office("sla.read"),
    **{
        f"ops_db.analytics.queries:{name}#{area}": _office(*permissions)
        for name in ("drill_choices", "drill_orders")
        for area, permissions in ANALYTICS_DRILLS.items()
    },
    # The dispatcher's "propose a plan": the page runs the optimizer (ops_db may not import it) between two
    # services, and checks both permissions before the optimizer runs.
    "dashboards.data.dispatch:propose_plan": need("plans.read", "plans.propose"),
}

ACTIONS: dict[str, Needs] = {**_SERVICES, **_READS}


def audience_of_role(role: str) -> str:
    """Which audience a person holding only this built-in role (or ``public``) belongs to."""
    return {PUBLIC: "public", RoleCode.CUSTOMER.value: "customer", RoleCode.TECHNICIAN.value: "technician"}.get(
        role, "office"
    )


def permissions_of_role(role: str) -> frozenset[str]:
    """The permissions of a built-in role, or of the anonymous portal (``public``)."""
    return PUBLIC_PERMISSIONS if role == PUBLIC else ROLE_PERMISSIONS[RoleCode(role)]


def allowed(role: str, action: str) -> bool:
    """Whether a person holding only ``role`` (a built-in role, or ``public``) may do ``action``."""
    return ACTIONS[action].allows(permissions_of_role(role), audience_of_role(role))


def matrix() -> dict[str, dict[str, bool]]:
    """Role (and ``public``) → action → allowed: the whole matrix, as the tests and the README tables read it."""
    roles = [PUBLIC, *(r.value for r in RoleCode)]
    return {role: {action: allowed(role, action) for action in ACTIONS} for role in roles}
